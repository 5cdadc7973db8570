// A clear error for a UDP port that cannot be bound.
import { BlockcastError } from '../errors.js';

/** `option`: the command-line option that chooses the port. */
export function bindError(err: NodeJS.ErrnoException, port: number, option: string): Error {
  if (err.code === 'EADDRINUSE') {
    return new BlockcastError('EINVALIDOPTION', `UDP port ${port} is already in use on this host (another blockcast session?): choose another with --${option} N (0: an ephemeral port)`, { cause: err });
  }
  if (err.code === 'EACCES') {
    return new BlockcastError('EINVALIDOPTION', `UDP port ${port} needs privileges to bind: choose one above 1023 with --${option} N`, { cause: err });
  }
  return err;
}
