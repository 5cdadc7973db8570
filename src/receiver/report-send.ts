// Sending a receiver's report. A candidate's address and port come from a
// packet anyone can forge: a send that fails (an unreachable or broadcast
// address) is a warning, never the socket's 'error' that ends the session.
import type dgram from 'node:dgram';

export function sendReport(socket: dgram.Socket, packet: Buffer, port: number, address: string, warn: (message: string) => void): void {
  const failed = (err: Error | null): void => {
    if (err) warn(`cannot report to ${address}:${port}: ${err.message}`);
  };
  try {
    socket.send(packet, port, address, failed);
  } catch (err) {
    failed(err as Error);
  }
}
