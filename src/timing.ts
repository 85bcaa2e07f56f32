/**
 * `work`'s outcome if it settles within `ms`, else `late`; the work carries on and its later
 * outcome is ignored. One promise and one timer, not Promise.race + finally: this wraps every
 * store call and every command's ack, so it sits on the hot path.
 */
export function within<T, L>(work: Promise<T>, ms: number, late: L): Promise<T | L> {
  return new Promise<T | L>((resolve, reject) => {
    const timer = setTimeout(resolve, ms, late);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
