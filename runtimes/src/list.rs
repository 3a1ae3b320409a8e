//! The one list of adapters. Adding a runtime: add its file, its feature in
//! `runtimes/Cargo.toml`, and here its `mod` declaration and one line in
//! `for_each_runtime!` (plus, for a new feature, its `__if_<feature>!` gate).

// The adapter modules: each with its feature on the line before its `#[path]`
// (a test reads these pairs to check every compiled adapter is listed below).
#[cfg(feature = "async-std")]
#[path = "async_std.rs"]
pub mod async_std;
#[cfg(all(feature = "compio", target_os = "linux"))]
#[path = "compio.rs"]
pub mod compio;
#[cfg(all(feature = "glommio", target_os = "linux"))]
#[path = "glommio.rs"]
pub mod glommio;
#[cfg(all(feature = "monoio", target_os = "linux"))]
#[path = "monoio.rs"]
pub mod monoio;
#[cfg(all(feature = "monoio", target_os = "linux"))]
#[path = "monoio_epoll.rs"]
pub mod monoio_epoll;
#[cfg(feature = "smol")]
#[path = "smol_local.rs"]
pub mod smol_local;
#[cfg(feature = "smol")]
#[path = "smol_mt.rs"]
pub mod smol_mt;
#[cfg(feature = "tokio")]
#[path = "tokio_ct.rs"]
pub mod tokio_ct;
#[cfg(feature = "tokio")]
#[path = "tokio_mt.rs"]
pub mod tokio_mt;
#[cfg(all(feature = "tokio-uring", target_os = "linux"))]
#[path = "tokio_uring.rs"]
pub mod tokio_uring;

/// Calls `$m!(Type, flavor)` once for every adapter compiled into this build,
/// `flavor` being `work_stealing` (the type implements [`crate::WorkStealing`])
/// or `thread_per_core`.
///
/// The only list of adapters: conformance tests, benches and the CLI are all
/// instantiated from it.
#[macro_export]
macro_rules! for_each_runtime {
    ($m:ident) => {
        $crate::__if_tokio! { $m!($crate::tokio_ct::TokioCt, thread_per_core); }
        $crate::__if_tokio! { $m!($crate::tokio_mt::TokioMt, work_stealing); }
        $crate::__if_smol! { $m!($crate::smol_local::SmolLocal, thread_per_core); }
        $crate::__if_smol! { $m!($crate::smol_mt::SmolMt, work_stealing); }
        $crate::__if_async_std! { $m!($crate::async_std::AsyncStd, work_stealing); }
        $crate::__if_glommio! { $m!($crate::glommio::Glommio, thread_per_core); }
        $crate::__if_tokio_uring! { $m!($crate::tokio_uring::TokioUring, thread_per_core); }
        $crate::__if_monoio! { $m!($crate::monoio::Monoio, thread_per_core); }
        $crate::__if_monoio! { $m!($crate::monoio_epoll::MonoioEpoll, thread_per_core); }
        $crate::__if_compio! { $m!($crate::compio::Compio, thread_per_core); }
    };
}

// One gate per cargo feature: `__if_<feature>!` keeps its input when the feature
// is on in rtbench-runtimes, and drops it otherwise (a `#[cfg]` inside an
// exported macro would test the caller's features instead).

#[cfg(feature = "tokio")]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_tokio { ($($t:tt)*) => { $($t)* }; }
#[cfg(not(feature = "tokio"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_tokio {
    ($($t:tt)*) => {};
}

#[cfg(feature = "smol")]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_smol { ($($t:tt)*) => { $($t)* }; }
#[cfg(not(feature = "smol"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_smol {
    ($($t:tt)*) => {};
}

#[cfg(feature = "async-std")]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_async_std { ($($t:tt)*) => { $($t)* }; }
#[cfg(not(feature = "async-std"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_async_std {
    ($($t:tt)*) => {};
}

#[cfg(all(feature = "glommio", target_os = "linux"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_glommio { ($($t:tt)*) => { $($t)* }; }
#[cfg(not(all(feature = "glommio", target_os = "linux")))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_glommio {
    ($($t:tt)*) => {};
}

#[cfg(all(feature = "tokio-uring", target_os = "linux"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_tokio_uring { ($($t:tt)*) => { $($t)* }; }
#[cfg(not(all(feature = "tokio-uring", target_os = "linux")))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_tokio_uring {
    ($($t:tt)*) => {};
}

#[cfg(all(feature = "monoio", target_os = "linux"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_monoio { ($($t:tt)*) => { $($t)* }; }
#[cfg(not(all(feature = "monoio", target_os = "linux")))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_monoio {
    ($($t:tt)*) => {};
}

#[cfg(all(feature = "compio", target_os = "linux"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_compio { ($($t:tt)*) => { $($t)* }; }
#[cfg(not(all(feature = "compio", target_os = "linux")))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_compio {
    ($($t:tt)*) => {};
}
