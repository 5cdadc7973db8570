// A stream session's window: the floor follows the slowest live receiver; a
// receiver that holds the reader back past the timeout, or joins after
// chunks were forgotten, fails with a message that says so.
import { describe, expect, it } from 'vitest';
import { Participants } from '../../src/sender/participants.js';
import { StreamWindow, type WindowedSource } from '../../src/sender/stream-window.js';
import { makeStatus } from '../helpers/status.js';

function setup() {
  const source: WindowedSource & { floor: number } = {
    floor: 0,
    setFloor(f: number) {
      this.floor = Math.max(this.floor, f);
    },
    get forgottenBelow() {
      return this.floor;
    },
    readHead: 100,
    blocked: true,
  };
  const table = new Participants();
  const join = (id: number, chunksDone: number, now = 0) => table.intake(makeStatus(id, { chunksDone }), '10.0.0.1', 1000 + id, now, Buffer.alloc(32));
  return { source, table, join, window: new StreamWindow(source, 64) };
}

describe('stream window', () => {
  it('moves the floor to the slowest live receiver', () => {
    const { source, table, join, window } = setup();
    join(1, 10);
    join(2, 30);
    expect(window.reported(table, 2)).toEqual([]);
    expect(source.floor).toBe(10);
    join(1, 40);
    window.reported(table, 1);
    expect(source.floor).toBe(30);
  });

  it('fails a receiver that holds a blocked reader back for longer than the timeout, and lets the rest go on', () => {
    const { source, table, join, window } = setup();
    join(1, 36);
    join(2, 90);
    window.reported(table, 1);
    expect(window.tick(table, 0, 5000)).toEqual([]);
    expect(window.tick(table, 5000, 5000)).toEqual([]);
    const failed = window.tick(table, 5001, 5000);
    expect(failed.map((v) => v.participant.id)).toEqual([1]);
    expect(failed[0]!.message).toBe('fell behind the stream: it had output 36 chunks while the sender waited 5.0 s (over --receiver-timeout) to read chunk 100, a window of 64 chunks ahead of it');
    expect(source.floor).toBe(90);
  });

  it('fails a receiver that joins after the stream forgot chunks it would need', () => {
    const { source, table, join, window } = setup();
    source.floor = 200;
    join(3, 0);
    const late = window.reported(table, 3);
    expect(late.map((v) => v.message)).toEqual(['joined the stream after its first 200 chunks were sent and forgotten: it cannot be delivered whole']);
  });
});
