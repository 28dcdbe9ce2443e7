import { type FSWatcher, watch } from 'node:fs'
import { dirname, join, sep } from 'node:path'

export type WatchFilesParameters = {
  /** Called once per burst of changes, with the last file that changed. */
  onChange: (file: string) => void
  /** Quiet time after the last change before `onChange` (an editor's save is often several writes). */
  debounceMs?: number | undefined
}

export type FileWatcher = {
  /** Watches exactly these files (absolute paths) from now on; files under node_modules are left out. */
  update(files: string[]): void
  close(): void
}

/**
 * Watches a set of files for changes, debounced. It watches their directories, not the files: editors that
 * save by writing a new file and renaming it over the old one replace the inode a file watcher would follow.
 */
export function watchFiles({ onChange, debounceMs = 100 }: WatchFilesParameters): FileWatcher {
  const watchers = new Map<string, FSWatcher>()
  let files = new Set<string>()
  let timer: NodeJS.Timeout | undefined
  let changed = ''

  const changedIn = (dir: string) => (_event: string, name: string | Buffer | null) => {
    if (name === null) return
    const file = join(dir, name.toString())
    if (!files.has(file)) return
    changed = file
    clearTimeout(timer)
    timer = setTimeout(() => onChange(changed), debounceMs)
  }

  return {
    update(next) {
      files = new Set(next.filter((file) => !file.split(sep).includes('node_modules')))
      const dirs = new Set([...files].map((file) => dirname(file)))
      for (const [dir, watcher] of watchers) {
        if (dirs.has(dir)) continue
        watcher.close()
        watchers.delete(dir)
      }
      for (const dir of dirs) {
        if (watchers.has(dir)) continue
        try {
          const watcher = watch(dir, changedIn(dir))
          watcher.on('error', () => watchers.delete(dir)) // the directory went away: the next update retries
          watchers.set(dir, watcher)
        } catch {
          // Not there (yet): the next run's update tries again.
        }
      }
    },
    close() {
      clearTimeout(timer)
      for (const watcher of watchers.values()) watcher.close()
      watchers.clear()
    },
  }
}
