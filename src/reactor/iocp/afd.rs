//! The AFD device (`\Device\Afd`, the kernel side of Winsock) and its poll request.
//!
//! `IOCTL_AFD_POLL` asks AFD to complete the request when one of the given conditions holds on
//! a socket; it completes at once if one holds already (it is level-triggered), and then reports
//! every condition that held. The request is ordinary overlapped I/O on a handle to the device,
//! so with that handle associated with a completion port the completion arrives there. This is
//! what `select` and `WSAPoll` use underneath; it is not part of the documented API, but every
//! Windows readiness library (wepoll, mio, the polling crate, libuv) relies on it and it has
//! been stable since Windows XP.

use std::ffi::c_void;
use std::io;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::ptr;

use windows_sys::Wdk::Foundation::OBJECT_ATTRIBUTES;
use windows_sys::Wdk::Storage::FileSystem::{NtCreateFile, FILE_OPEN};
use windows_sys::Wdk::System::IO::NtDeviceIoControlFile;
use windows_sys::Win32::Foundation::{
    RtlNtStatusToDosError, HANDLE, NTSTATUS, STATUS_PENDING, STATUS_SUCCESS, UNICODE_STRING,
};
use windows_sys::Win32::Networking::WinSock::SOCKET;
use windows_sys::Win32::Storage::FileSystem::{
    SetFileCompletionNotificationModes, FILE_SHARE_READ, FILE_SHARE_WRITE, SYNCHRONIZE,
};
use windows_sys::Win32::System::WindowsProgramming::FILE_SKIP_SET_EVENT_ON_HANDLE;
use windows_sys::Win32::System::IO::{CancelIoEx, IO_STATUS_BLOCK};

use super::port::Port;

// The poll conditions (`AFD_POLL_*` in the Windows driver headers).
/// Data can be received (also: end-of-file, for a socket whose peer shut down gracefully).
pub(super) const RECEIVE: u32 = 0x0001;
/// Data can be sent, or a connection attempt succeeded.
pub(super) const SEND: u32 = 0x0004;
/// The peer shut its sending half down (a `FIN` arrived).
pub(super) const DISCONNECT: u32 = 0x0008;
/// The connection was reset or aborted.
pub(super) const ABORT: u32 = 0x0010;
/// The socket was closed by this process (its handle was closed).
pub(super) const LOCAL_CLOSE: u32 = 0x0020;
/// A connection is waiting to be accepted.
pub(super) const ACCEPT: u32 = 0x0080;
/// A connection attempt failed.
pub(super) const CONNECT_FAIL: u32 = 0x0100;

/// The control code of the poll request.
const IOCTL_AFD_POLL: u32 = 0x0001_2024;

/// One socket of a poll request (`AFD_POLL_HANDLE_INFO`).
#[repr(C)]
struct PollHandleInfo {
    handle: HANDLE,
    events: u32,
    status: NTSTATUS,
}

/// A poll request for one socket, and the reply to it (`AFD_POLL_INFO`); the kernel writes the
/// reply over the request.
#[repr(C)]
pub(super) struct PollInfo {
    timeout: i64,
    number_of_handles: u32,
    exclusive: u32,
    handles: [PollHandleInfo; 1],
}

impl PollInfo {
    /// An empty request.
    pub(super) fn new() -> PollInfo {
        PollInfo {
            timeout: 0,
            number_of_handles: 0,
            exclusive: 0,
            handles: [PollHandleInfo {
                handle: ptr::null_mut(),
                events: 0,
                status: 0,
            }],
        }
    }

    /// The conditions a completed request reported (none if it reported no socket).
    pub(super) fn events(&self) -> u32 {
        if self.number_of_handles == 0 {
            0
        } else {
            self.handles[0].events
        }
    }
}

/// A handle to the AFD device, associated with a completion port.
#[derive(Debug)]
pub(super) struct Afd {
    handle: OwnedHandle,
}

impl Afd {
    /// Opens the device and associates it with `port` under `key`. The name after `\Device\Afd`
    /// is free-form (AFD ignores it); it shows up in handle listings.
    pub(super) fn open(port: &Port, key: usize) -> io::Result<Afd> {
        let name: Vec<u16> = r"\Device\Afd\evloop".encode_utf16().collect();
        let bytes = (name.len() * 2) as u16;
        let name = UNICODE_STRING {
            Length: bytes,
            MaximumLength: bytes,
            Buffer: name.as_ptr().cast_mut(),
        };
        let attributes = OBJECT_ATTRIBUTES {
            Length: std::mem::size_of::<OBJECT_ATTRIBUTES>() as u32,
            RootDirectory: ptr::null_mut(),
            ObjectName: &name,
            Attributes: 0,
            SecurityDescriptor: ptr::null(),
            SecurityQualityOfService: ptr::null(),
        };
        let mut handle = ptr::null_mut();
        // SAFETY: an all-zero status block is a valid value of this plain C struct.
        let mut iosb: IO_STATUS_BLOCK = unsafe { std::mem::zeroed() };
        // SAFETY: every pointer refers to a live local for the duration of the call (`name`'s
        // buffer outlives it too); the call opens the device synchronously.
        let status = unsafe {
            NtCreateFile(
                &mut handle,
                SYNCHRONIZE,
                &attributes,
                &mut iosb,
                ptr::null(),
                0,
                FILE_SHARE_READ | FILE_SHARE_WRITE,
                FILE_OPEN,
                0,
                ptr::null(),
                0,
            )
        };
        if status != STATUS_SUCCESS {
            return Err(from_status(status));
        }
        // SAFETY: the call succeeded, so `handle` is a new handle that nothing else owns.
        let handle = unsafe { OwnedHandle::from_raw_handle(handle) };
        let afd = Afd { handle };
        port.associate(afd.raw(), key)?;
        // A completion already goes to the port; do not also signal the handle.
        // SAFETY: the handle is valid; the call sets a flag on it.
        if unsafe {
            SetFileCompletionNotificationModes(afd.raw(), FILE_SKIP_SET_EVENT_ON_HANDLE as u8)
        } == 0
        {
            return Err(io::Error::last_os_error());
        }
        Ok(afd)
    }

    /// Starts a poll of `socket` (a base socket, see `base_socket`) for `events`. Its completion
    /// arrives at the port with `context` as its overlapped pointer, after the kernel has written
    /// the reply into `info` and the status into `iosb`.
    ///
    /// # Safety
    /// `info` and `iosb` must stay valid, and must not be read or written, until that completion
    /// has been dequeued.
    pub(super) unsafe fn poll(
        &self,
        socket: SOCKET,
        events: u32,
        info: *mut PollInfo,
        iosb: *mut IO_STATUS_BLOCK,
        context: *const c_void,
    ) -> io::Result<()> {
        // SAFETY: the caller hands us `info` and `iosb` for the whole request.
        unsafe {
            info.write(PollInfo {
                timeout: i64::MAX,
                number_of_handles: 1,
                exclusive: 0,
                handles: [PollHandleInfo {
                    handle: socket as HANDLE,
                    events,
                    status: 0,
                }],
            });
            (*iosb).Anonymous.Status = STATUS_PENDING;
        }
        let size = std::mem::size_of::<PollInfo>() as u32;
        // SAFETY: the device handle is valid; `info` and `iosb` stay valid until the completion
        // is dequeued (the caller's contract), which is as long as the kernel uses them.
        let status = unsafe {
            NtDeviceIoControlFile(
                self.raw(),
                ptr::null_mut(),
                None,
                context,
                iosb,
                IOCTL_AFD_POLL,
                info.cast(),
                size,
                info.cast(),
                size,
            )
        };
        // Success and pending both end in a completion packet (the port is not told to skip
        // packets for requests that complete at once).
        match status {
            STATUS_SUCCESS | STATUS_PENDING => Ok(()),
            status => Err(from_status(status)),
        }
    }

    /// Asks the kernel to cancel the poll that uses `iosb`; its completion (with
    /// `STATUS_CANCELLED`, or with events if it completed first) still arrives at the port.
    pub(super) fn cancel(&self, iosb: *mut IO_STATUS_BLOCK) -> io::Result<()> {
        // SAFETY: the handle is valid; the pointer only identifies the request and is not
        // dereferenced if no request of this handle uses it.
        if unsafe { CancelIoEx(self.raw(), iosb.cast()) } == 0 {
            let error = io::Error::last_os_error();
            // ERROR_NOT_FOUND: it has completed already, and its completion is on its way.
            if error.raw_os_error() != Some(1168) {
                return Err(error);
            }
        }
        Ok(())
    }

    fn raw(&self) -> HANDLE {
        self.handle.as_raw_handle()
    }
}

/// The `io::Error` of an `NTSTATUS`.
pub(super) fn from_status(status: NTSTATUS) -> io::Error {
    // SAFETY: a pure translation table lookup.
    let code = unsafe { RtlNtStatusToDosError(status) };
    io::Error::from_raw_os_error(code as i32)
}
