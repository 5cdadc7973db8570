/** CPU seconds (user + system, every thread: native, workers, main) this process has used. */
export function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
