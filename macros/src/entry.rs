//! Shared implementation of `#[main]` and `#[test]`.

use proc_macro2::{Group, Ident, Literal, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, ItemFn, Lit, Meta, MetaNameValue, Path, Token};

/// Which attribute is being expanded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Main,
    Test,
}

impl Kind {
    fn default_flavor(self) -> Flavor {
        match self {
            Kind::Main => Flavor::MultiThread,
            Kind::Test => Flavor::CurrentThread,
        }
    }
}

/// The runtime flavor to build.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavor {
    MultiThread,
    CurrentThread,
}

/// The validated arguments of the attribute.
struct Config {
    flavor: Flavor,
    worker_threads: Option<Literal>,
    start_paused: Option<bool>,
    crate_path: Path,
}

impl Config {
    /// The configuration used when none was given, or when the given one is
    /// invalid and only the shape of the expansion matters.
    fn default_for(kind: Kind) -> Self {
        Config {
            flavor: kind.default_flavor(),
            worker_threads: None,
            start_paused: None,
            crate_path: syn::parse_quote!(::evloop),
        }
    }
}

const ARGUMENTS: &str = "`flavor`, `worker_threads`, `start_paused`, `crate`";

/// Expands `#[main]` or `#[test]` applied to `item` with arguments `args`.
pub(crate) fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let func: ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(err) => return with_error(item, err),
    };

    let config = parse_config(kind, args);

    // A function of the wrong shape cannot be expanded: give it back as it was.
    if let Err(err) = check_fn(kind, &func) {
        let err = match config {
            Ok(_) => err,
            Err(more) => combined(err, more),
        };
        return with_error(item, err);
    }

    // Bad arguments: still expand with the defaults, so that the function
    // keeps compiling and the only errors are the ones reported here.
    match config {
        Ok(config) => expand_fn(kind, func, &config),
        Err(err) => {
            let expanded = expand_fn(kind, func, &Config::default_for(kind));
            with_error(expanded, err)
        }
    }
}

/// Checks that the annotated function can be turned into a runtime entry point.
fn check_fn(kind: Kind, func: &ItemFn) -> syn::Result<()> {
    let sig = &func.sig;
    let mut errors = None;
    if sig.asyncness.is_none() {
        push(
            &mut errors,
            syn::Error::new_spanned(
                sig.fn_token,
                "the `async` keyword is missing from the function declaration",
            ),
        );
    }
    if kind == Kind::Main && sig.ident == "main" && !sig.inputs.is_empty() {
        push(
            &mut errors,
            syn::Error::new_spanned(&sig.inputs, "the `main` function cannot accept arguments"),
        );
    }
    if kind == Kind::Test {
        if let Some(attr) = func.attrs.iter().find(|attr| attr.path().is_ident("test")) {
            push(
                &mut errors,
                syn::Error::new_spanned(
                    attr,
                    "duplicate `#[test]` attribute; the async test attribute already adds one",
                ),
            );
        }
    }
    errors.map_or(Ok(()), Err)
}

/// Parses and validates the attribute arguments.
fn parse_config(kind: Kind, args: TokenStream) -> syn::Result<Config> {
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args)?;

    let mut errors = None;
    let mut flavor = None;
    let mut worker_threads = None;
    let mut start_paused = None;
    let mut crate_path = None;

    for meta in &metas {
        let Some(name) = meta.path().get_ident().map(Ident::to_string) else {
            push(&mut errors, unknown_argument(meta.path()));
            continue;
        };
        let result = match name.as_str() {
            "flavor" => value_of(meta, "flavor = \"current_thread\"")
                .and_then(parse_flavor)
                .and_then(|v| set_once(&mut flavor, v, meta)),
            "worker_threads" => value_of(meta, "worker_threads = 4")
                .and_then(parse_worker_threads)
                .and_then(|v| set_once(&mut worker_threads, v, meta)),
            "start_paused" => value_of(meta, "start_paused = true")
                .and_then(parse_bool)
                .and_then(|v| set_once(&mut start_paused, v, meta)),
            "crate" => value_of(meta, "crate = \"evloop\"")
                .and_then(parse_path)
                .and_then(|v| set_once(&mut crate_path, v, meta)),
            _ => Err(unknown_argument(meta.path())),
        };
        if let Err(err) = result {
            push(&mut errors, err);
        }
    }

    let default = Config::default_for(kind);
    let flavor_value = flavor.as_ref().map_or(default.flavor, |(f, _)| *f);

    if let Some((_, meta)) = &worker_threads {
        if flavor_value == Flavor::CurrentThread {
            push(
                &mut errors,
                syn::Error::new_spanned(
                    meta,
                    "`worker_threads` cannot be used with the `current_thread` flavor; \
                     use `flavor = \"multi_thread\"` to choose the number of workers",
                ),
            );
        }
    }
    if let Some((_, meta)) = &start_paused {
        if flavor_value == Flavor::MultiThread {
            push(
                &mut errors,
                syn::Error::new_spanned(
                    meta,
                    "`start_paused` can only be used with `flavor = \"current_thread\"`",
                ),
            );
        }
    }

    if let Some(err) = errors {
        return Err(err);
    }
    Ok(Config {
        flavor: flavor_value,
        worker_threads: worker_threads.map(|(v, _)| v),
        start_paused: start_paused.map(|(v, _)| v),
        crate_path: crate_path.map_or(default.crate_path, |(v, _)| v),
    })
}

/// Stores the value of an argument, refusing a second occurrence.
fn set_once<'a, T>(slot: &mut Option<(T, &'a Meta)>, value: T, meta: &'a Meta) -> syn::Result<()> {
    if slot.is_some() {
        return Err(syn::Error::new_spanned(
            meta.path(),
            format!(
                "argument `{}` is given more than once",
                meta.path().to_token_stream()
            ),
        ));
    }
    *slot = Some((value, meta));
    Ok(())
}

fn unknown_argument(path: &Path) -> syn::Error {
    syn::Error::new_spanned(
        path,
        format!(
            "unknown argument `{}`; expected one of {ARGUMENTS}",
            path.to_token_stream().to_string().replace(' ', "")
        ),
    )
}

/// Returns the literal on the right of `name = value`.
fn value_of<'a>(meta: &'a Meta, example: &str) -> syn::Result<&'a Lit> {
    match meta {
        Meta::NameValue(MetaNameValue {
            value: Expr::Lit(ExprLit { lit, .. }),
            ..
        }) => Ok(lit),
        Meta::NameValue(MetaNameValue { value, .. }) => Err(syn::Error::new_spanned(
            value,
            format!("expected a literal, as in `{example}`"),
        )),
        _ => Err(syn::Error::new_spanned(
            meta,
            format!("expected a value, as in `{example}`"),
        )),
    }
}

fn parse_flavor(lit: &Lit) -> syn::Result<Flavor> {
    let Lit::Str(s) = lit else {
        return Err(syn::Error::new_spanned(
            lit,
            "`flavor` expects a string: \"multi_thread\" or \"current_thread\"",
        ));
    };
    match s.value().as_str() {
        "multi_thread" => Ok(Flavor::MultiThread),
        "current_thread" => Ok(Flavor::CurrentThread),
        other => Err(syn::Error::new_spanned(
            s,
            format!("unknown flavor `{other}`; expected \"multi_thread\" or \"current_thread\""),
        )),
    }
}

fn parse_worker_threads(lit: &Lit) -> syn::Result<Literal> {
    let Lit::Int(int) = lit else {
        return Err(syn::Error::new_spanned(
            lit,
            "`worker_threads` expects an integer, as in `worker_threads = 4`",
        ));
    };
    let n: usize = int.base10_parse()?;
    if n == 0 {
        return Err(syn::Error::new_spanned(
            int,
            "`worker_threads` must be greater than 0",
        ));
    }
    let mut out = Literal::usize_unsuffixed(n);
    out.set_span(int.span());
    Ok(out)
}

fn parse_bool(lit: &Lit) -> syn::Result<bool> {
    match lit {
        Lit::Bool(b) => Ok(b.value),
        _ => Err(syn::Error::new_spanned(
            lit,
            "`start_paused` expects `true` or `false`",
        )),
    }
}

fn parse_path(lit: &Lit) -> syn::Result<Path> {
    match lit {
        Lit::Str(s) => s.parse::<Path>().map_err(|_| {
            syn::Error::new_spanned(s, format!("`{}` is not a valid path", s.value()))
        }),
        _ => Err(syn::Error::new_spanned(
            lit,
            "`crate` expects a path in a string, as in `crate = \"evloop\"`",
        )),
    }
}

/// Builds the synchronous function that runs the original body on a runtime.
fn expand_fn(kind: Kind, func: ItemFn, config: &Config) -> TokenStream {
    let ItemFn {
        attrs,
        vis,
        mut sig,
        block,
    } = func;
    sig.asyncness = None;

    // Errors about the returned value point at the end of the user's body.
    let span = block
        .stmts
        .last()
        .map_or_else(|| block.brace_token.span.close(), |stmt| stmt.span());
    let krate = respan(config.crate_path.to_token_stream(), span);
    let mut builder = match config.flavor {
        Flavor::MultiThread => quote_spanned!(span=> #krate::runtime::Builder::new_multi_thread()),
        Flavor::CurrentThread => {
            quote_spanned!(span=> #krate::runtime::Builder::new_current_thread())
        }
    };
    if let Some(n) = &config.worker_threads {
        builder.extend(quote_spanned!(span=> .worker_threads(#n)));
    }
    if let Some(paused) = config.start_paused {
        builder.extend(quote_spanned!(span=> .start_paused(#paused)));
    }
    let body = Ident::new("body", Span::mixed_site());
    let run = quote_spanned! {span=>
        #[allow(clippy::expect_used, clippy::needless_return)]
        {
            return #builder
                .enable_all()
                .build()
                .expect("Failed building the Runtime")
                .block_on(#body);
        }
    };

    let test_attr = match kind {
        Kind::Test => quote!(#[::core::prelude::v1::test]),
        Kind::Main => TokenStream::new(),
    };

    quote! {
        #test_attr
        #(#attrs)*
        #vis #sig {
            let #body = async move #block;
            #run
        }
    }
}

/// Gives every token of `tokens` the same span, so that the expression built
/// from them is reported at that place.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let TokenTree::Group(group) = &token {
                let mut inner = Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                token = TokenTree::Group(inner);
            }
            token.set_span(span);
            token
        })
        .collect()
}

/// Appends `err` as `compile_error!` invocations to `tokens`.
fn with_error(mut tokens: TokenStream, err: syn::Error) -> TokenStream {
    tokens.extend(err.into_compile_error());
    tokens
}

fn push(errors: &mut Option<syn::Error>, err: syn::Error) {
    match errors {
        Some(all) => all.combine(err),
        None => *errors = Some(err),
    }
}

fn combined(mut first: syn::Error, second: syn::Error) -> syn::Error {
    first.combine(second);
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(kind: Kind, args: TokenStream, item: TokenStream) -> String {
        expand(kind, args, item).to_string()
    }

    #[test]
    fn main_defaults_to_multi_thread_without_worker_count() {
        let out = expand_str(
            Kind::Main,
            quote!(),
            quote!(
                async fn main() {}
            ),
        );
        assert!(out.contains("new_multi_thread"));
        assert!(!out.contains("worker_threads"));
        assert!(!out.contains("start_paused"));
        assert!(!out.contains("async fn"));
        assert!(!out.contains("compile_error"));
    }

    #[test]
    fn test_defaults_to_current_thread_and_adds_test_attribute() {
        let out = expand_str(
            Kind::Test,
            quote!(),
            quote!(
                async fn check() {}
            ),
        );
        assert!(out.contains("new_current_thread"));
        assert!(out.contains(":: core :: prelude :: v1 :: test"));
    }

    #[test]
    fn passes_options_through() {
        let out = expand_str(
            Kind::Main,
            quote!(worker_threads = 3, crate = "my_rt"),
            quote!(
                async fn main() {}
            ),
        );
        assert!(out.contains("my_rt :: runtime :: Builder :: new_multi_thread ()"));
        assert!(out.contains(". worker_threads (3)"));

        let out = expand_str(
            Kind::Test,
            quote!(start_paused = false),
            quote!(
                async fn check() {}
            ),
        );
        assert!(out.contains(". start_paused (false)"));
    }

    #[test]
    fn bad_arguments_still_emit_the_function() {
        let out = expand_str(
            Kind::Main,
            quote!(nope = 1),
            quote!(
                async fn main() {}
            ),
        );
        assert!(out.contains("compile_error"));
        assert!(out.contains("fn main ()"));
        assert!(out.contains("new_multi_thread"));
    }

    #[test]
    fn sync_function_is_returned_unchanged() {
        let out = expand_str(
            Kind::Main,
            quote!(),
            quote!(
                fn main() {
                    work();
                }
            ),
        );
        assert!(out.starts_with("fn main () { work () ; }"));
        assert!(out.contains("compile_error"));
    }
}
