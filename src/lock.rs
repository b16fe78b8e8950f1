//! The mmap lock: one process-wide mutex and a recursion count per thread.
//!
//! The recursion is load-bearing: `target_mmap` calls itself on the unaligned-file path, and
//! QEMU's SIGSEGV handler re-enters through `page_unprotect` on a thread that may already
//! hold the lock. The count is therefore a const-initialised thread-local with no
//! destructor (no lazy initialisation, safe to touch from a signal handler), and the mutex
//! is a plain `pthread_mutex_t`, which the child of a `fork` re-creates unlocked
//! (`mmap_fork_end(1)`) instead of unlocking a mutex that other parent threads may have
//! been waiting on.

use std::cell::UnsafeCell;

struct ProcessMutex(UnsafeCell<libc::pthread_mutex_t>);

// SAFETY: the inner pthread mutex is only used through the pthread functions, which are
// thread-safe by definition.
unsafe impl Sync for ProcessMutex {}

static MMAP_MUTEX: ProcessMutex = ProcessMutex(UnsafeCell::new(libc::PTHREAD_MUTEX_INITIALIZER));

#[inline]
fn mutex_op(
    op: unsafe extern "C" fn(*mut libc::pthread_mutex_t) -> libc::c_int,
    what: &'static str,
) {
    // SAFETY: MMAP_MUTEX is a statically initialised (or re-initialised) pthread mutex
    // that lives for the whole program.
    let r = unsafe { op(MMAP_MUTEX.0.get()) };
    if r != 0 {
        mutex_failed(what, r);
    }
}

/// An `mmap_unlock` without a matching `mmap_lock` would silently break mutual exclusion
/// (2.3 let the count go negative); QEMU upstream asserts, and so do we.
#[cold]
#[inline(never)]
extern "C" fn unbalanced() -> ! {
    crate::fatal("mmap_unlock: the calling thread does not hold the mmap lock")
}

/// A thread that holds the lock must not fork: the child could never release it.
#[cold]
#[inline(never)]
extern "C" fn fork_while_held() -> ! {
    crate::fatal("mmap_fork_start: the forking thread holds the mmap lock")
}

#[cold]
#[inline(never)]
fn mutex_failed(what: &str, r: libc::c_int) -> ! {
    crate::fatal(&format!("mmap lock: {what} failed with error {r}"))
}

/// Takes the mutex for `fork`, aborting with a message if that fails.
extern "C" fn lock_for_fork() {
    mutex_op(libc::pthread_mutex_lock, "pthread_mutex_lock");
}

// The fast paths of `mmap_lock`/`mmap_unlock`: one thread-local count and one compare; the
// mutex only on the first (last) level. The mutex is a default-type mutex, whose
// `pthread_mutex_lock` and `pthread_mutex_unlock` have no error to report when the count
// guarantees that the thread takes it once and releases it only when it holds it (their
// errors exist only for error-checking, recursive, robust and priority-protocol mutexes):
// both are tail calls whose result is not looked at, as in 2.3. The unbalanced unlock, the
// one misuse a caller can make, is caught by the count before the mutex is touched. The
// count changes before the mutex is taken, so a signal handler interrupting `lock` on this
// thread recurses instead of deadlocking on the mutex.
//
// On x86-64 Linux the count is a thread-local of the initial-exec model, kept as the
// negated depth (0: not held), and the three functions that read it are naked functions
// (assembly only; Rust 1.88, the crate's `rust-version`): `sub $1` borrows exactly when
// the depth was 0, and `add $1` gives 0 exactly when the last level goes. Rust's thread-locals use the general- or local-dynamic model in a
// static library, which costs a call (relaxed by the linker to a load of the thread pointer)
// and a stack frame around it; here the lock and unlock of an uncontended pair are five
// instructions each besides the pthread calls (docs/BENCHMARKS.md). The initial-exec
// model is valid in the executable that links the static library and in the shared library
// loaded at start-up (it takes static TLS space there, as libc's own variables do; a
// `dlopen` later is served from glibc's surplus of static TLS, which 4 bytes fit).
#[cfg(all(target_arch = "x86_64", target_os = "linux", not(miri)))]
mod imp {
    use super::{fork_while_held, lock_for_fork, unbalanced, MMAP_MUTEX};

    // The count: 4 bytes of thread-local storage (zero-initialised, no destructor), local
    // to this object. The functions below are in the same module, hence the same object.
    std::arch::global_asm!(
        ".pushsection .tbss.qum_lock_depth,\"awT\",@nobits",
        ".p2align 2",
        "qum_lock_depth:",
        ".zero 4",
        ".size qum_lock_depth, 4",
        ".popsection",
    );

    /// Takes the mmap lock (recursive per thread).
    #[unsafe(naked)]
    #[no_mangle]
    pub extern "C" fn mmap_lock() {
        std::arch::naked_asm!(
            "mov rax, qword ptr [rip + qum_lock_depth@GOTTPOFF]",
            "sub dword ptr fs:[rax], 1",
            "jb 2f",
            "ret",
            "2:",
            "lea rdi, [rip + {mutex}]",
            "jmp {pthread_lock}@PLT",
            mutex = sym MMAP_MUTEX,
            pthread_lock = sym libc::pthread_mutex_lock,
        )
    }

    /// Releases one level of the mmap lock.
    #[unsafe(naked)]
    #[no_mangle]
    pub extern "C" fn mmap_unlock() {
        std::arch::naked_asm!(
            "mov rax, qword ptr [rip + qum_lock_depth@GOTTPOFF]",
            "add dword ptr fs:[rax], 1",
            "je 2f",
            "jg 3f",
            "ret",
            "2:",
            "lea rdi, [rip + {mutex}]",
            "jmp {pthread_unlock}@PLT",
            "3:",
            "jmp {unbalanced}",
            mutex = sym MMAP_MUTEX,
            pthread_unlock = sym libc::pthread_mutex_unlock,
            unbalanced = sym unbalanced,
        )
    }

    /// Called before `fork()`: takes the mmap lock; aborts when the calling thread holds it.
    #[unsafe(naked)]
    #[no_mangle]
    pub extern "C" fn mmap_fork_start() {
        std::arch::naked_asm!(
            "mov rax, qword ptr [rip + qum_lock_depth@GOTTPOFF]",
            "cmp dword ptr fs:[rax], 0",
            "jne {fork_while_held}",
            "jmp {lock_for_fork}",
            fork_while_held = sym fork_while_held,
            lock_for_fork = sym lock_for_fork,
        )
    }

    /// `mmap_lock()` for the guest calls.
    #[inline(always)]
    pub fn lock() {
        mmap_lock()
    }

    /// `mmap_unlock()` for the guest calls.
    #[inline(always)]
    pub fn unlock() {
        mmap_unlock()
    }
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux", not(miri))))]
mod imp {
    use std::cell::Cell;

    use super::{fork_while_held, lock_for_fork, unbalanced, MMAP_MUTEX};

    thread_local! {
        static LOCK_COUNT: Cell<i32> = const { Cell::new(0) };
    }

    /// `mmap_lock()`: takes the mutex on the thread's first level of recursion.
    #[inline]
    pub fn lock() {
        let n = LOCK_COUNT.get();
        LOCK_COUNT.set(n.wrapping_add(1));
        if n == 0 {
            // SAFETY: MMAP_MUTEX is a pthread mutex that lives for the whole program.
            unsafe { libc::pthread_mutex_lock(MMAP_MUTEX.0.get()) };
        }
    }

    /// `mmap_unlock()`: releases the mutex when the thread's count drops back to 0.
    #[inline]
    pub fn unlock() {
        let n = LOCK_COUNT.get().wrapping_sub(1);
        if n < 0 {
            unbalanced();
        }
        LOCK_COUNT.set(n);
        if n == 0 {
            // SAFETY: as in `lock`; this thread took the mutex at its first level.
            unsafe { libc::pthread_mutex_unlock(MMAP_MUTEX.0.get()) };
        }
    }

    /// `mmap_fork_start()`: aborts when the calling thread holds the lock; otherwise takes
    /// the mutex for the duration of the fork.
    pub fn fork_start() {
        if LOCK_COUNT.get() != 0 {
            fork_while_held();
        }
        lock_for_fork();
    }
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux", not(miri))))]
pub use imp::fork_start;
pub use imp::{lock, unlock};
#[cfg(all(target_arch = "x86_64", target_os = "linux", not(miri)))]
pub use imp::{mmap_fork_start, mmap_lock, mmap_unlock};

/// `mmap_fork_end(child)`: the child gets a fresh, unlocked mutex; the parent unlocks.
pub fn fork_end(child: bool) {
    if child {
        // SAFETY: in the child only the forking thread exists, so nothing can be using the
        // mutex while it is re-created.
        let r = unsafe { libc::pthread_mutex_init(MMAP_MUTEX.0.get(), std::ptr::null()) };
        if r != 0 {
            crate::fatal(&format!(
                "mmap_fork_end: pthread_mutex_init failed with error {r}"
            ));
        }
    } else {
        mutex_op(libc::pthread_mutex_unlock, "pthread_mutex_unlock");
    }
}

/// Holds the mmap lock for a scope.
pub struct Guard(());

impl Guard {
    /// Takes the lock (recursively).
    #[allow(clippy::new_without_default)] // taking a lock is not a default value
    pub fn new() -> Guard {
        lock();
        Guard(())
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        unlock();
    }
}
