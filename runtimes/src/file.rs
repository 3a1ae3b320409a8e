//! Files with owned buffers, each adapter through its own file API: io_uring
//! runtimes submit reads to the kernel, the others run them on a blocking
//! thread pool ([`PoolFile`]). Buffers are [`AlignedBuf`]s, aligned for
//! `O_DIRECT`.

use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::future::Future;
use std::io;
use std::marker::PhantomData;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::PathBuf;
use std::ptr::NonNull;
use std::sync::Arc;

/// The alignment `O_DIRECT` asks of memory, offsets and lengths here.
pub const ALIGN: usize = 4096;

/// A zeroed heap buffer aligned to [`ALIGN`], of a fixed length: what every
/// adapter reads into and writes from. Hand-written because `Vec<u8>` cannot
/// promise the alignment `O_DIRECT` needs, and the io_uring crates take only
/// buffer types that implement their own traits (implemented below).
pub struct AlignedBuf {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: it owns its allocation, like a `Vec<u8>`.
unsafe impl Send for AlignedBuf {}
unsafe impl Sync for AlignedBuf {}

impl AlignedBuf {
    /// `len` zeroed bytes (at least 1), aligned to [`ALIGN`].
    pub fn new(len: usize) -> AlignedBuf {
        let layout = Self::layout(len);
        // SAFETY: the layout's size is not zero.
        let ptr = unsafe { alloc_zeroed(layout) };
        let ptr = NonNull::new(ptr).unwrap_or_else(|| std::alloc::handle_alloc_error(layout));
        AlignedBuf { ptr, len }
    }

    fn layout(len: usize) -> Layout {
        Layout::from_size_align(len.max(1), ALIGN).expect("a buffer size below isize::MAX")
    }
}

impl Drop for AlignedBuf {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe { dealloc(self.ptr.as_ptr(), Self::layout(self.len)) }
    }
}

impl std::ops::Deref for AlignedBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: `len` initialised bytes (zeroed at allocation).
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl std::ops::DerefMut for AlignedBuf {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as `deref`, and `&mut self` is unique.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl std::fmt::Debug for AlignedBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AlignedBuf({} bytes)", self.len)
    }
}

/// An I/O result that hands the file buffer back, whatever happened.
pub type FileResult<T> = (io::Result<T>, AlignedBuf);

/// How a file is opened: always for reading; `write` also for writing
/// (creating it), `direct` with `O_DIRECT` (the device, not the page cache).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileOptions {
    pub direct: bool,
    pub write: bool,
}

impl FileOptions {
    /// The flags beyond read/write: `O_DIRECT` or none.
    pub fn flags(&self) -> i32 {
        if self.direct { libc::O_DIRECT } else { 0 }
    }

    /// The same options for `std::fs`.
    pub fn std(&self) -> std::fs::OpenOptions {
        let mut o = std::fs::OpenOptions::new();
        o.read(true)
            .write(self.write)
            .create(self.write)
            .custom_flags(self.flags());
        o
    }
}

/// An open file. Positional reads and writes of owned buffers: a read fills
/// at most `buf.len()` bytes at `offset` and gives the buffer back with its
/// length unchanged; a write writes all of it or says how much it wrote.
/// Many operations of one file may be in flight at once (`&self`).
pub trait File: 'static {
    fn read_at(&self, buf: AlignedBuf, offset: u64) -> impl Future<Output = FileResult<usize>>;
    fn write_at(&self, buf: AlignedBuf, offset: u64) -> impl Future<Output = FileResult<usize>>;
    /// `fdatasync`, or the nearest the runtime has (named in its description).
    fn sync_data(&self) -> impl Future<Output = io::Result<()>>;
}

/// A blocking thread pool that runs one closure per file operation.
pub trait Pool: 'static {
    fn run<T: Send + 'static>(
        f: impl FnOnce() -> T + Send + 'static,
    ) -> impl Future<Output = T> + 'static;
}

/// A std file whose every operation runs on pool `P` (`pread`, `pwrite`,
/// `fdatasync`): what tokio's `tokio::fs`, smol's `async-fs` and
/// async-std's files do.
pub struct PoolFile<P> {
    file: Arc<std::fs::File>,
    pool: PhantomData<fn() -> P>,
}

impl<P> std::fmt::Debug for PoolFile<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PoolFile").field(&self.file).finish()
    }
}

impl<P: Pool> PoolFile<P> {
    /// Opens `path` on the pool.
    pub async fn open(path: PathBuf, options: FileOptions) -> io::Result<Self> {
        let file = P::run(move || options.std().open(path)).await?;
        Ok(PoolFile {
            file: Arc::new(file),
            pool: PhantomData,
        })
    }
}

impl<P: Pool> File for PoolFile<P> {
    async fn read_at(&self, mut buf: AlignedBuf, offset: u64) -> FileResult<usize> {
        let file = self.file.clone();
        P::run(move || (file.read_at(&mut buf, offset), buf)).await
    }

    async fn write_at(&self, buf: AlignedBuf, offset: u64) -> FileResult<usize> {
        let file = self.file.clone();
        P::run(move || (file.write_at(&buf, offset), buf)).await
    }

    async fn sync_data(&self) -> io::Result<()> {
        let file = self.file.clone();
        P::run(move || file.sync_data()).await
    }
}

#[cfg(all(feature = "monoio", target_os = "linux"))]
mod monoio_buf {
    use super::AlignedBuf;

    // SAFETY: the pointer is the heap allocation's, which never moves, and
    // every byte is initialised.
    unsafe impl monoio::buf::IoBuf for AlignedBuf {
        fn read_ptr(&self) -> *const u8 {
            self.ptr.as_ptr()
        }
        fn bytes_init(&self) -> usize {
            self.len
        }
    }

    // SAFETY: as above; the length never changes.
    unsafe impl monoio::buf::IoBufMut for AlignedBuf {
        fn write_ptr(&mut self) -> *mut u8 {
            self.ptr.as_ptr()
        }
        fn bytes_total(&mut self) -> usize {
            self.len
        }
        unsafe fn set_init(&mut self, _pos: usize) {}
    }
}

#[cfg(all(feature = "tokio-uring", target_os = "linux"))]
mod tokio_uring_buf {
    use super::AlignedBuf;

    // SAFETY: the pointer is the heap allocation's, which never moves, and
    // every byte is initialised.
    unsafe impl tokio_uring::buf::IoBuf for AlignedBuf {
        fn stable_ptr(&self) -> *const u8 {
            self.ptr.as_ptr()
        }
        fn bytes_init(&self) -> usize {
            self.len
        }
        fn bytes_total(&self) -> usize {
            self.len
        }
    }

    // SAFETY: as above; the length never changes.
    unsafe impl tokio_uring::buf::IoBufMut for AlignedBuf {
        fn stable_mut_ptr(&mut self) -> *mut u8 {
            self.ptr.as_ptr()
        }
        unsafe fn set_init(&mut self, _pos: usize) {}
    }
}

#[cfg(all(feature = "compio", target_os = "linux"))]
mod compio_buf {
    use super::AlignedBuf;
    use std::mem::MaybeUninit;

    impl compio::buf::IoBuf for AlignedBuf {
        fn as_init(&self) -> &[u8] {
            self
        }
    }

    impl compio::buf::SetLen for AlignedBuf {
        // Every byte is initialised and the length is fixed.
        unsafe fn set_len(&mut self, _len: usize) {}
    }

    impl compio::buf::IoBufMut for AlignedBuf {
        fn as_uninit(&mut self) -> &mut [MaybeUninit<u8>] {
            // SAFETY: initialised bytes may be seen as maybe-uninitialised.
            unsafe {
                std::slice::from_raw_parts_mut(
                    self.ptr.as_ptr().cast::<MaybeUninit<u8>>(),
                    self.len,
                )
            }
        }
    }
}
