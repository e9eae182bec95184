/**
 * A V8 CPU profile of this process (the profiler behind `node --cpu-prof`),
 * started and stopped from inside it, so that a server's profile covers its
 * serving and not its start-up. The .cpuprofile written names TypeScript
 * files and lines: tsx runs transformed code (a line may hold a whole
 * module), and the source maps it registers are only at hand in the process
 * that loaded the modules, so the positions are mapped here, before writing.
 * Open the file in Chrome DevTools, or summarise it with bench/profile.ts.
 */
import { writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import { findSourceMap, type SourceMap } from 'node:module'
import { fileURLToPath } from 'node:url'

/** Microseconds between samples (node --cpu-prof's default is 1000). */
const SAMPLING_INTERVAL = 500

interface CallFrame { functionName: string; scriptId: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; positionTicks?: Array<{ line: number; ticks: number }> }
interface Profile { nodes: ProfileNode[] }

/** What the bench adds to a .cpuprofile (as `bench`; DevTools ignores it). */
export interface ProfileFacts {
  /** HTTP requests received while profiling. */
  requests: number
}

export interface RunningProfile {
  /** Stops the profiler and writes the profile, positions mapped to the sources, and `facts` to `file`. */
  stop(file: string, facts: ProfileFacts): Promise<void>
}

export async function startProfile (): Promise<RunningProfile> {
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL })
  await session.post('Profiler.start')
  return {
    async stop (file, facts) {
      const { profile } = await session.post('Profiler.stop') as unknown as { profile: Profile }
      session.disconnect()
      mapToSources(profile)
      await writeFile(file, JSON.stringify({ ...profile, bench: facts }))
    },
  }
}

/** Rewrites each frame of a source-mapped script to its original file, line and column (0-based, as V8's). */
function mapToSources (profile: Profile): void {
  const maps = new Map<string, SourceMap | undefined>()
  const mapOf = (url: string): SourceMap | undefined => {
    if (!maps.has(url)) {
      let map: SourceMap | undefined
      try { map = findSourceMap(url) ?? findSourceMap(fileURLToPath(url)) } catch { map = undefined }
      maps.set(url, map)
    }
    return maps.get(url)
  }
  for (const node of profile.nodes) {
    const frame = node.callFrame
    if (!frame.url.startsWith('file:') || frame.lineNumber < 0) continue
    const map = mapOf(frame.url)
    if (map === undefined) continue
    const entry = map.findEntry(frame.lineNumber, frame.columnNumber) as
      { originalSource?: string; originalLine?: number; originalColumn?: number }
    if (entry.originalSource === undefined || entry.originalLine === undefined) continue
    frame.url = entry.originalSource
    frame.lineNumber = entry.originalLine
    frame.columnNumber = entry.originalColumn ?? 0
    // Line ticks name lines of the transformed code: meaningless once mapped.
    delete node.positionTicks
  }
}
