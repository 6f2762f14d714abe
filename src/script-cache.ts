/**
 * Loads one of the binary's script builds (dist/src/script/*.cjs, scripts/bundle.mjs: the local
 * and the LXD program without the console, and both with it, as one CommonJS function each)
 * through V8's code cache.
 *
 * Why: Node 20 compiles an ES module from source on every start (it has no code cache for ES
 * modules: `module.enableCompileCache` is Node 22), and V8's compile of the program was the
 * largest single part of a short verb like `lxdeck ls`. A classic script can be compiled from
 * V8's cached data instead (`vm.Script`'s `cachedData`, Node's vm docs): the cache is written
 * after a run (`script.createCachedData()`, so it holds the functions that run compiled too).
 *
 * Where the cache lives: beside the script (the build writes one there), else under
 * `$XDG_CACHE_HOME/lxdeck` (default `~/.cache/lxdeck`) when the script's directory is not
 * writable; `LXDECK_CODE_CACHE_DIR` names the only directory to use instead. The file's name
 * carries the script's name (which carries a hash of its content), V8's version and the CPU
 * architecture. V8 itself checks the rest (its version, the flags it was made with, the source's
 * length) and rejects a cache that does not fit (`script.cachedDataRejected`): the script is then
 * compiled from source as without a cache, and the cache written anew. Nothing about the cache
 * ever fails a run: every read and write error is ignored.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';

/** A script build, run: what it exported, and how its cache went. */
export interface LoadedScript<T> {
  /** the script's `module.exports` */
  exports: T;
  /** "accepted": compiled from the cache; "rejected": V8 refused the cache found; "none": no cache found */
  cache: 'accepted' | 'rejected' | 'none';
  /** Writes the code cache when there was none or V8 rejected it (call it after the run, so it holds what ran); never throws. */
  saveCache(): void;
}

/**
 * The directories searched for a script's code cache, in order (and written, the first that takes it).
 * @param file absolute path of the script build
 * @param env the process environment (LXDECK_CODE_CACHE_DIR, XDG_CACHE_HOME, HOME)
 */
export function codeCacheDirs(file: string, env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.LXDECK_CODE_CACHE_DIR) return [env.LXDECK_CODE_CACHE_DIR];
  return [dirname(file), join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'lxdeck')];
}

/** FNV-1a, 32 bits, of a string's UTF-16 code units, as 8 hex digits (no crypto: loading it costs more than a short verb's cache saves). */
function fnv1a32(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/**
 * The cache file's name for `file`: `NAME.cjs.V8VERSION-ARCH[-FLAGS].v8cache`. FLAGS is a hash of
 * Node's options (process.execArgv and NODE_OPTIONS) when there are any: V8 rejects a cache made
 * with other flags, so `lxdeck` (its #! line gives V8 a flag, scripts/bundle.mjs) and
 * `node dist/src/cli.cjs` each keep their own instead of rewriting one in turn.
 */
export function codeCacheName(file: string, execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): string {
  const opts = [...execArgv, nodeOptions.trim()].filter(Boolean).join(' ');
  return `${basename(file)}.${process.versions.v8}-${process.arch}${opts ? `-${fnv1a32(opts)}` : ''}.v8cache`;
}

/**
 * A stand-in for Node's module `name` that loads it on the first use of any of its properties
 * (a Proxy over the real module; functions and classes come out as they are).
 * @param name a Node module's name without `node:` (crypto, zlib...)
 */
export function lazyBuiltin(name: string, req: NodeJS.Require): object {
  let real: Record<PropertyKey, unknown> | undefined;
  const load = () => (real ??= req(`node:${name}`) as Record<PropertyKey, unknown>);
  return new Proxy(
    {},
    {
      get: (_, k) => load()[k],
      set: (_, k, v) => {
        load()[k] = v;
        return true;
      },
      has: (_, k) => k in load(),
      ownKeys: () => Reflect.ownKeys(load()),
      getOwnPropertyDescriptor: (_, k) => {
        const d = Reflect.getOwnPropertyDescriptor(load(), k);
        // a proxy may not report a property of its (empty) target as non-configurable
        return d && { ...d, configurable: true };
      },
      getPrototypeOf: () => Object.getPrototypeOf(load()),
    },
  );
}

/**
 * The `require` a script build gets: Node's, relative to the script, and for `lazy:NAME` (what
 * scripts/bundle.mjs makes of the Node modules a short verb does not use) a {@link lazyBuiltin}.
 */
function scriptRequire(file: string): NodeJS.Require {
  const req = createRequire(file);
  const lazy = new Map<string, object>();
  const r = ((id: string) => {
    if (!id.startsWith('lazy:')) return req(id);
    const name = id.slice('lazy:'.length);
    let m = lazy.get(name);
    if (!m) lazy.set(name, (m = lazyBuiltin(name, req)));
    return m;
  }) as NodeJS.Require;
  return Object.assign(r, { resolve: req.resolve, cache: req.cache, main: req.main, extensions: req.extensions });
}

/**
 * Compiles and runs a script build (a CommonJS function expression:
 * `(function (exports, require, module, __filename, __dirname) {...})`, as scripts/bundle.mjs
 * emits it) in this context, with V8's code cache when one is found.
 * @param file absolute path of the .cjs script build
 * @throws what reading the script throws (ENOENT), and what its top level throws
 */
export function loadScript<T>(file: string, env: NodeJS.ProcessEnv = process.env): LoadedScript<T> {
  const source = readFileSync(file, 'utf8');
  const dirs = codeCacheDirs(file, env);
  const name = codeCacheName(file, process.execArgv, env.NODE_OPTIONS ?? '');
  let cachedData: Buffer | undefined;
  for (const d of dirs) {
    try {
      cachedData = readFileSync(join(d, name));
      break;
    } catch {
      /* not there: the next directory */
    }
  }
  const script = new Script(source, { filename: file, cachedData });
  const cache = cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'accepted';
  const fn = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string) => void;
  const module = { exports: {} };
  fn(module.exports, scriptRequire(file), module, file, dirname(file));
  return {
    exports: module.exports as T,
    cache,
    saveCache() {
      if (cache === 'accepted') return;
      let data: Buffer;
      try {
        data = script.createCachedData();
      } catch {
        return;
      }
      for (const d of dirs) {
        const tmp = join(d, `.${name}.${process.pid}.tmp`);
        try {
          mkdirSync(d, { recursive: true });
          // written aside and renamed: a run started meanwhile reads the old cache or the new, never half of one
          writeFileSync(tmp, data, { mode: 0o644 });
          renameSync(tmp, join(d, name));
          return;
        } catch {
          try {
            rmSync(tmp, { force: true });
          } catch {
            /* a directory we cannot write: nothing was left there */
          }
        }
      }
    },
  };
}
