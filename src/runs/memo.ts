// A rescan of unchanged files gives the same run objects (the scan cache), and the extension
// takes "same objects" for "nothing changed": a step that makes a run out of two objects (two
// files of one training, a run and its sweep's plan) gives, for the same two, the same result.

/** `make`, remembering its result for each pair of objects for as long as both live. */
export function memoizedPair<A extends object, B extends object, R>(make: (a: A, b: B) => R): (a: A, b: B) => R {
  const memo = new WeakMap<A, WeakMap<B, R>>();
  return (a, b) => {
    let byB = memo.get(a);
    if (!byB) {
      byB = new WeakMap<B, R>();
      memo.set(a, byB);
    }
    if (byB.has(b)) return byB.get(b) as R;
    const made = make(a, b);
    byB.set(b, made);
    return made;
  };
}
