/**
 * V8 builds the hidden class (map) of a class instance field by field in its constructor, and of a
 * Buffer made in C++ (transcode) by a prototype change, and holds such maps only weakly. Once no
 * object of that shape is alive, a full GC drops the map and throws away the optimized code of every
 * function that reads those objects, which then runs unoptimized until V8 re-optimizes it. The scan
 * builds a few such objects per file and drops them all by the end of it, so after every full GC
 * (the benchmark forces one before each timed run) it ran ~1.6× as long. One object of each shape
 * that lives as long as the process keeps its map.
 */

const KEPT: object[] = [];

/** Keep `sample` alive for good, so objects shaped like it keep their map. */
export function keepMapAlive(sample: object): void {
  KEPT.push(sample);
}
