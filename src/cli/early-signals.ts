// Imported first by main.ts, so that it runs before any other module loads.
// Node starts its inspector (a debugger on 127.0.0.1:9229, in what is often
// a root process) on SIGUSR1 unless a listener is installed; Node 20 has no
// --disable-sigusr1. blockcast listens from the start: `send` uses SIGUSR1
// to start at once (send.ts adds that listener); anything else ignores it.
process.on('SIGUSR1', () => {
  if (process.listenerCount('SIGUSR1') === 1) process.stderr.write('blockcast: SIGUSR1 ignored: nothing to start (yet)\n');
});
