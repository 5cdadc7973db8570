// ^C and SIGTERM for send and receive: the first stops the session (it ends
// with its own message and exit code); one that arrives after the command
// has finished, while the process winds down, changes nothing; a second
// one during the stop exits at once with 130, as a shell would.
type Stop = () => void;

let current: Stop | undefined;
let stopping = false;
let installed = false;

function onSignal(signal: NodeJS.Signals): void {
  if (!current) return; // the command is over: let its exit code stand
  if (stopping) {
    process.stderr.write(`blockcast: ${signal} again: exiting without waiting\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  }
  stopping = true;
  current();
}

/** Routes SIGINT/SIGTERM to `stop` until the returned function is called. */
export function stopOnSignals(stop: Stop): () => void {
  if (!installed) {
    // Kept for the process's life: between a command's end and the process's
    // exit (workers and sockets closing) a signal must not kill it with 130.
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    installed = true;
  }
  current = stop;
  stopping = false;
  return () => {
    if (current === stop) current = undefined;
  };
}
