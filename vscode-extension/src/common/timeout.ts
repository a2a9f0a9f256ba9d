/** Every wait on another process or extension has a deadline; this is the one helper for it. */

export class TimeoutError extends Error {
    constructor(what: string, ms: number) {
        super(`${what} did not answer within ${ms / 1000} s`);
        this.name = 'TimeoutError';
    }
}

/** Resolves like `work`, or rejects with TimeoutError after `ms`; the timer never outlives the race. */
export function withTimeout<T>(work: PromiseLike<T>, ms: number, what: string): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
    });
    return Promise.race([Promise.resolve(work), deadline]).finally(() => clearTimeout(timer));
}
