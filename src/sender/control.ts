// The unicast socket on which receivers report (STATUS, NACK) and the
// sender acknowledges their joins and final reports.
import dgram from 'node:dgram';
import { CONTROL_SOCKET_BUFFER } from '../defaults.js';
import { IP_UDP_OVERHEAD, PacketType, type ReceiverStateValue } from '../protocol/constants.js';
import { decodeNack, decodeStatus, encodeAck, packetType, type Nack, type Status } from '../protocol/packets.js';
import type { Rejection, SenderSecurity } from '../security/session-keys.js';
import { bindError } from '../net/bind.js';

export interface ReportHandlers {
  /** Every datagram first, malformed ones too: `bytes` with IP/UDP headers. */
  received(bytes: number): void;
  status(s: Status, bytes: number, address: string, port: number): void;
  nack(n: Nack, bytes: number, address: string, port: number): void;
  /** Undecodable, of another session, or of an unknown type. */
  malformed(address: string): void;
  /** Sealed sessions: no valid tag, or a replay; nothing of the packet was used. */
  rejected(why: Rejection, address: string, port: number): void;
  /** The join nonce of a member, which names the key its packets are sealed with. */
  nonceOf(receiverId: number): Buffer | undefined;
  error(err: Error): void;
  warning(message: string): void;
}

export class ReportSocket {
  private constructor(
    private readonly socket: dgram.Socket,
    private readonly session: number,
    private readonly security: SenderSecurity,
  ) {}

  /** Binds `port` (0: an ephemeral one) for `session`'s reports. */
  static async open(session: number, security: SenderSecurity, h: ReportHandlers, port = 0): Promise<ReportSocket> {
    const socket = dgram.createSocket('udp4');
    const reports = new ReportSocket(socket, session, security);
    socket.on('message', (msg, rinfo) => reports.dispatch(msg, rinfo.address, rinfo.port, h));
    socket.on('error', (err) => h.error(err));
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(port, () => {
          socket.off('error', reject);
          // Hundreds of receivers finishing at once report within milliseconds
          // of each other; the default buffer (~200 KB, a few hundred small
          // datagrams) overflows while this thread is busy. Capped by rmem_max.
          try {
            socket.setRecvBufferSize(CONTROL_SOCKET_BUFFER);
          } catch (err) {
            h.warning(`cannot enlarge the report socket's buffer to ${CONTROL_SOCKET_BUFFER} bytes (${(err as Error).message}); reports may be lost when many receivers finish at once`);
          }
          resolve();
        });
      });
    } catch (err) {
      socket.close();
      throw bindError(err as NodeJS.ErrnoException, port, 'control-port');
    }
    return reports;
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** Acknowledges a report, echoing its join nonce (signed with the run's salt when the session is signed). */
  ack(receiverId: number, state: ReceiverStateValue, nonce: Buffer, port: number, address: string): void {
    this.socket.send(this.security.wrapAck(encodeAck({ session: this.session, receiverId, state, nonce })), port, address);
  }

  close(): void {
    this.socket.close();
  }

  private dispatch(msg: Buffer, address: string, port: number, h: ReportHandlers): void {
    const bytes = msg.length + IP_UDP_OVERHEAD;
    h.received(bytes);
    const type = packetType(msg);
    if (type !== PacketType.Status && type !== PacketType.Nack) return h.malformed(address);
    // The tag before any field: in a sealed session nothing unauthenticated is used.
    const opened = this.security.openReport(msg, (id) => h.nonceOf(id));
    if (opened !== 'ok') return h.rejected(opened, address, port);
    if (type === PacketType.Status) {
      const s = decodeStatus(msg);
      if (!s || s.session !== this.session) return h.malformed(address);
      return h.status(s, bytes, address, port);
    }
    if (type === PacketType.Nack) {
      const n = decodeNack(msg);
      if (!n || n.session !== this.session) return h.malformed(address);
      return h.nack(n, bytes, address, port);
    }
    h.malformed(address);
  }
}

