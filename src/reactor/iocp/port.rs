//! The I/O completion port: where AFD polls complete and wake-ups are posted.

use std::io;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::ptr;
use std::time::Duration;

use windows_sys::Win32::Foundation::{HANDLE, INVALID_HANDLE_VALUE, WAIT_TIMEOUT};
use windows_sys::Win32::System::IO::{
    CreateIoCompletionPort, GetQueuedCompletionStatusEx, PostQueuedCompletionStatus,
    OVERLAPPED_ENTRY,
};

/// `GetQueuedCompletionStatusEx`'s timeout for "wait indefinitely".
const INFINITE: u32 = u32::MAX;

/// An I/O completion port.
#[derive(Debug)]
pub(super) struct Port {
    handle: OwnedHandle,
}

impl Port {
    /// A new port, for as many concurrent threads as the system has processors (only one thread
    /// ever waits on it).
    pub(super) fn new() -> io::Result<Port> {
        // SAFETY: creating a port takes no pointers; the result is checked before use.
        let handle = unsafe { CreateIoCompletionPort(INVALID_HANDLE_VALUE, ptr::null_mut(), 0, 0) };
        if handle.is_null() {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `handle` is a new, valid handle that nothing else owns.
        let handle = unsafe { OwnedHandle::from_raw_handle(handle) };
        Ok(Port { handle })
    }

    /// Makes every completion of an operation on `handle` arrive here with `key`.
    pub(super) fn associate(&self, handle: HANDLE, key: usize) -> io::Result<()> {
        // SAFETY: both handles are valid (`handle` is owned by the caller for the call); the
        // call only links them.
        let port = unsafe { CreateIoCompletionPort(handle, self.raw(), key, 0) };
        if port.is_null() {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Queues a completion packet with `key` and no overlapped structure.
    pub(super) fn post(&self, key: usize) -> io::Result<()> {
        // SAFETY: the port is valid, and a null overlapped pointer is allowed (the packet
        // carries only the key).
        if unsafe { PostQueuedCompletionStatus(self.raw(), 0, key, ptr::null()) } == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Dequeues up to `entries.capacity()` packets into `entries`, waiting up to `timeout`
    /// (rounded up to whole milliseconds; `None` waits indefinitely). A wait that times out
    /// leaves `entries` empty.
    pub(super) fn wait(
        &self,
        entries: &mut Vec<OVERLAPPED_ENTRY>,
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        entries.clear();
        let millis = match timeout {
            // `INFINITE` is `u32::MAX`: a longer finite wait is capped just below it (about 49.7
            // days) and simply returns early.
            Some(timeout) => timeout
                .as_nanos()
                .div_ceil(1_000_000)
                .min(u128::from(INFINITE - 1)) as u32,
            None => INFINITE,
        };
        let mut removed = 0;
        // SAFETY: `entries` has room for `capacity()` entries, which is what the call is told;
        // the call writes `removed` of them, and `set_len` below exposes no more than that.
        let ok = unsafe {
            GetQueuedCompletionStatusEx(
                self.raw(),
                entries.as_mut_ptr(),
                entries.capacity().min(u32::MAX as usize) as u32,
                &mut removed,
                millis,
                0,
            )
        };
        if ok == 0 {
            let error = io::Error::last_os_error();
            return match error.raw_os_error() {
                Some(code) if code as u32 == WAIT_TIMEOUT => Ok(()),
                _ => Err(error),
            };
        }
        // SAFETY: the call initialized the first `removed` entries (at most the capacity).
        unsafe { entries.set_len(removed as usize) };
        Ok(())
    }

    fn raw(&self) -> HANDLE {
        self.handle.as_raw_handle()
    }
}
