import { realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

/**
 * Whether the module at `moduleUrl` (its `import.meta.url`) is the script
 * Node was started with, rather than imported by another module (a test).
 * Node loads the entry point by its real path, while `process.argv[1]` keeps
 * the path it was given, which `npm link` and bin shims make a symlink.
 */
export function isEntryPoint (moduleUrl: string): boolean {
  const script = process.argv[1]
  if (script === undefined) return false
  try {
    return pathToFileURL(realpathSync(script)).href === moduleUrl
  } catch {
    return false
  }
}
