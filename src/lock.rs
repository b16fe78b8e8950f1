//! The mmap lock: one process-wide mutex and a recursion count per thread.
//!
//! The recursion is load-bearing: `target_mmap` calls itself on the unaligned-file path, and
//! QEMU's SIGSEGV handler re-enters through `page_unprotect` on a thread that may already
//! hold the lock. The count is therefore a const-initialised thread-local with no
//! destructor (no lazy initialisation, safe to touch from a signal handler), and the mutex
//! is a plain `pthread_mutex_t`, which the child of a `fork` re-creates unlocked
//! (`mmap_fork_end(1)`) instead of unlocking a mutex that other parent threads may have
//! been waiting on.

use std::cell::{Cell, UnsafeCell};

struct ProcessMutex(UnsafeCell<libc::pthread_mutex_t>);

// SAFETY: the inner pthread mutex is only used through the pthread functions, which are
// thread-safe by definition.
unsafe impl Sync for ProcessMutex {}

static MMAP_MUTEX: ProcessMutex = ProcessMutex(UnsafeCell::new(libc::PTHREAD_MUTEX_INITIALIZER));

thread_local! {
    static LOCK_COUNT: Cell<i32> = const { Cell::new(0) };
}

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
fn unbalanced() -> ! {
    crate::fatal("mmap_unlock: the calling thread does not hold the mmap lock")
}

#[cold]
#[inline(never)]
fn mutex_failed(what: &str, r: libc::c_int) -> ! {
    crate::fatal(&format!("mmap lock: {what} failed with error {r}"))
}

// The fast paths of `mmap_lock`/`mmap_unlock`: one thread-local count and one compare; the
// mutex only on the first (last) level. A failing `pthread_mutex_lock` aborts with a
// message (the thread would otherwise run without mutual exclusion). The mutex is a
// default-type mutex, which the owning thread's `pthread_mutex_unlock` always releases
// (its errors exist only for error-checking, recursive, robust and priority-protocol
// mutexes): the unlock is a tail call whose result is not looked at, as in 2.3; the
// unbalanced unlock, the one misuse a caller can make, is caught by the count before the
// mutex is touched. The count goes up before the mutex is taken, so a signal handler
// interrupting `lock` on this thread recurses instead of deadlocking on the mutex.

/// `mmap_lock()`: takes the mutex on the thread's first level of recursion.
#[inline]
pub fn lock() {
    let n = LOCK_COUNT.get();
    LOCK_COUNT.set(n.wrapping_add(1));
    if n == 0 {
        mutex_op(libc::pthread_mutex_lock, "pthread_mutex_lock");
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

/// `mmap_fork_start()`: a thread that holds the lock must not fork (the child could never
/// release it), so that aborts; otherwise the mutex is taken for the duration of the fork.
pub fn fork_start() {
    if LOCK_COUNT.with(|c| c.get()) != 0 {
        crate::fatal("mmap_fork_start: the forking thread holds the mmap lock");
    }
    mutex_op(libc::pthread_mutex_lock, "pthread_mutex_lock");
}

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
