//! How the one list of adapters (in `lib.rs`) is written: [`Visit`], and the
//! `adapters!` macro that declares each adapter's module and lists it on the
//! same line.

use crate::{Runtime, WorkStealing};

/// Code written once for every runtime: [`visit`](crate::visit) calls one
/// of the flavor methods per adapter compiled into this build, with the
/// adapter's type. Code that does not care about the flavor implements
/// [`Visit::runtime`] only; the flavor methods call it by default.
pub trait Visit {
    /// Any adapter, whatever its flavor.
    fn runtime<R: Runtime>(&mut self) {}
    /// A thread-per-core adapter: one executor per core, `!Send` tasks.
    fn thread_per_core<R: Runtime>(&mut self) {
        self.runtime::<R>()
    }
    /// A work-stealing adapter: `Send` tasks on a pool of workers.
    fn work_stealing<R: WorkStealing>(&mut self) {
        self.runtime::<R>()
    }
}

/// `adapters! { #[cfg(..)] module::Type => flavor; .. }` declares each
/// `module` under its `cfg` and generates [`visit`](crate::visit), which
/// calls `Visit::<flavor>::<module::Type>` under the same `cfg`, in the
/// list's order. A module cannot exist without its line, and the `cfg` is
/// written once. `flavor` must agree with the type's `Runtime::FLAVOR`
/// (checked at compile time); `work_stealing` also needs `WorkStealing`.
macro_rules! adapters {
    (@flavor thread_per_core) => { $crate::Flavor::ThreadPerCore };
    (@flavor work_stealing) => { $crate::Flavor::WorkStealing };
    ($( #[cfg($cfg:meta)] $module:ident :: $ty:ident => $flavor:ident; )*) => {
        $(
            #[cfg($cfg)]
            pub mod $module;

            #[cfg($cfg)]
            const _: () = assert!(
                matches!(<$module::$ty as $crate::Runtime>::FLAVOR, adapters!(@flavor $flavor)),
                concat!(stringify!($module::$ty), ": the flavor on its list line is not its FLAVOR")
            );
        )*

        /// Calls `v` once per adapter compiled into this build, in the order
        /// of the list (the order of `rtbench list`, the benches and the
        /// report).
        pub fn visit(v: &mut impl Visit) {
            $(
                #[cfg($cfg)]
                v.$flavor::<$module::$ty>();
            )*
            let _ = v; // with no adapter feature on, the list is empty
        }
    };
}
