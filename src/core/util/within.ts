/** Resolves true when `work` settles (fulfilled or rejected) within `ms`, false otherwise. */
export function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolveTimeout) => (timer = setTimeout(() => resolveTimeout(false), ms)));
  return Promise.race([work.then(() => true, () => true), timeout]).finally(() => clearTimeout(timer));
}
