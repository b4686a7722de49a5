// A property computed the first time it is read, then kept as a plain one.

/**
 * Define `key` on `target` so that `compute` runs when it is first read (or never, if nothing reads it); the result
 * then replaces the getter as an ordinary enumerable, writable property, so JSON, spreads and assignment see a plain
 * value. Spreading the object reads the property, and so computes it.
 */
export function lazyProperty<T extends object, K extends keyof T>(target: T, key: K, compute: () => T[K]): T {
  const settle = (value: T[K]) => Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: true });
  Object.defineProperty(target, key, {
    configurable: true,
    enumerable: true,
    get() {
      const value = compute();
      settle(value);
      return value;
    },
    set: settle,
  });
  return target;
}
