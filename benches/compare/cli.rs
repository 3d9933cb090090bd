//! Command-line options (the arguments after `--` in `cargo bench`).

use crate::peers::Peer;

pub const USAGE: &str = "\
usage: cargo bench --bench compare -- [OPTIONS] [NAME...]

options:
  --quick              run every workload at a tenth of its size
  --only NAME[,NAME]   run only the named workloads (bare NAMEs work too)
  --workers N          worker threads per runtime (default 2; 1 = single-threaded flavour)
  --runs N             measured rounds per workload, after one warm-up (default 5)
  --peer NAME[,NAME]   run only these runtimes (evloop, tokio, smol); the others read n/a
  --list               list the workloads and exit
  -h, --help           print this help";

/// Options of one benchmark invocation.
#[derive(Debug, Clone)]
pub struct Options {
    pub quick: bool,
    pub only: Vec<String>,
    pub workers: usize,
    pub runs: usize,
    /// The peers to run; empty means all of them.
    pub peers: Vec<Peer>,
}

/// What the command line asks for.
pub enum Parsed {
    Run(Options),
    Help,
    List,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            quick: false,
            only: Vec::new(),
            workers: 2,
            runs: 5,
            peers: Vec::new(),
        }
    }
}

impl Options {
    /// Whether `peer` is to be run.
    pub fn runs_peer(&self, peer: Peer) -> bool {
        self.peers.is_empty() || self.peers.contains(&peer)
    }

    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Parsed, String> {
        let mut opts = Options::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            // `--flag=value` is accepted as well as `--flag value`.
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
                _ => (arg.clone(), None),
            };
            let mut value = |name: &str| -> Result<String, String> {
                inline
                    .clone()
                    .or_else(|| args.next())
                    .ok_or_else(|| format!("{name} needs a value"))
            };
            match flag.as_str() {
                // cargo passes `--bench` to every bench target.
                "--bench" => {}
                "--quick" => opts.quick = true,
                "--list" => return Ok(Parsed::List),
                "-h" | "--help" => return Ok(Parsed::Help),
                "--only" => opts.only.extend(split_names(&value("--only")?)),
                "--workers" => opts.workers = positive(&value("--workers")?, "--workers")?,
                "--runs" => opts.runs = positive(&value("--runs")?, "--runs")?,
                "--peer" => {
                    for name in split_names(&value("--peer")?) {
                        let peer = Peer::ALL
                            .into_iter()
                            .find(|p| p.name() == name)
                            .ok_or_else(|| {
                                let known: Vec<_> = Peer::ALL.iter().map(|p| p.name()).collect();
                                format!("unknown peer `{name}`; known: {}", known.join(", "))
                            })?;
                        if !opts.peers.contains(&peer) {
                            opts.peers.push(peer);
                        }
                    }
                }
                other if other.starts_with('-') => {
                    return Err(format!("unknown option `{other}`"));
                }
                name => opts.only.extend(split_names(name)),
            }
        }
        Ok(Parsed::Run(opts))
    }
}

fn split_names(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(String::from)
}

fn positive(s: &str, flag: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{flag} expects a positive integer, got `{s}`")),
    }
}
