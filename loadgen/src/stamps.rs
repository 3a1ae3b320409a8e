//! Kernel receive timestamps (`SO_TIMESTAMPNS`): when an echo reached the
//! socket, so that time spent waiting for the generator's thread is not
//! counted as the server's.

use std::io;
use std::os::fd::AsRawFd;

/// Turns on `SO_TIMESTAMPNS`: every read by `recvmsg` then carries the
/// kernel's software receive time of the data (`CLOCK_REALTIME`; for TCP, of
/// the last segment read). Chosen over `SO_TIMESTAMPING` with
/// `SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE`: TCP delivers the
/// same stamp either way (`tcp_recv_timestamp`), and this one is a single
/// `timespec` per read, with no flags to get right and no error queue.
pub(super) fn enable_rx_stamps(s: &impl AsRawFd) -> io::Result<()> {
    let on: libc::c_int = 1;
    // SAFETY: a valid socket and a pointer to a c_int of the given size.
    let r = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_TIMESTAMPNS,
            (&on as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// One `recvmsg` into `buf`: the bytes read and the kernel's receive stamp
/// of the data (`CLOCK_REALTIME` ns), 0 when the kernel gave none.
pub(super) fn recv_stamped(s: &impl AsRawFd, buf: &mut [u8]) -> io::Result<(usize, u64)> {
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // Room for one `SCM_TIMESTAMPNS` (a 16-byte timespec, 32 bytes with its
    // header) and more, aligned for `cmsghdr`.
    let mut control = [0u64; 8];
    // SAFETY: all-zero is a valid msghdr (null pointers, zero lengths).
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = size_of_val(&control) as _;
    // SAFETY: `msg` points at a live buffer and control buffer of the given sizes.
    let n = unsafe { libc::recvmsg(s.as_raw_fd(), &mut msg, 0) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut stamp = 0;
    // SAFETY: the kernel filled `msg_controllen` bytes of `control`; the
    // CMSG_* helpers stay within them, and the timespec is read unaligned.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(&msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_TIMESTAMPNS {
                let ts: libc::timespec = std::ptr::read_unaligned(libc::CMSG_DATA(c).cast());
                stamp = ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64;
            }
            c = libc::CMSG_NXTHDR(&msg, c);
        }
    }
    Ok((n as usize, stamp))
}
