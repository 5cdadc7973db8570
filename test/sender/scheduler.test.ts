import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { Stream } from '../../src/protocol/constants.js';
import type { ChunkRef } from '../../src/sender/chunks.js';
import { FirstPassScheduler, SendScheduler, Wakeup, type ChunkQueue, type QueueDepth } from '../../src/sender/scheduler.js';

const idle: QueueDepth = { urgent: 0, normal: 0, normalBytes: 0 };
const MiB = 1024 * 1024;

/** 2 manifest chunks, then image chunks 0..5 of which 1, 4 and 5 are all zero. */
const firstPass = () => new FirstPassScheduler({ manifestChunks: 2, imageChunks: 6, isZero: (c) => [1, 4, 5].includes(c) });

function drain(q: ChunkQueue): ChunkRef[] {
  const out: ChunkRef[] = [];
  for (let r = q.shift(); r; r = q.shift()) out.push(r);
  return out;
}

describe('FirstPassScheduler', () => {
  it('hands out the manifest, then the image but its zero chunks', () => {
    const q = firstPass();
    expect(q.size).toBe(8);
    const M = Stream.Manifest;
    const I = Stream.Image;
    expect(drain(q)).toEqual([
      { stream: M, chunk: 0 },
      { stream: M, chunk: 1 },
      { stream: I, chunk: 0 },
      { stream: I, chunk: 2 },
      { stream: I, chunk: 3 },
    ]);
    expect(q.size).toBe(0);
    expect(q.shift()).toBeNull();
  });

  it('passes over zero chunks only when pruned or shifted, so the pass is not over while its last chunk is read', () => {
    const q = firstPass();
    for (let i = 0; i < 5; i++) q.shift();
    expect(q.size).toBe(2); // image chunks 4 and 5, not passed over yet
    q.prune();
    expect(q.size).toBe(0);
  });

  it('hands out pushed chunks after its own', () => {
    const q = firstPass();
    q.push({ stream: Stream.Image, chunk: 2 });
    expect(q.size).toBe(9);
    expect(drain(q).at(-1)).toEqual({ stream: Stream.Image, chunk: 2 });
  });
});

describe('SendScheduler', () => {
  it('sends a due repair first while fewer than 2 repairs are queued', () => {
    const s = new SendScheduler(firstPass());
    expect(s.next(idle, 0)).toBe('repair');
    expect(s.next({ ...idle, urgent: 1 }, 0)).toBe('repair');
    expect(s.next({ ...idle, urgent: 2 }, 0)).toEqual({ stream: Stream.Manifest, chunk: 0 });
    expect(s.next(idle, 5)).toEqual({ stream: Stream.Manifest, chunk: 1 }); // not due yet
    expect(s.next(idle, undefined)).toEqual({ stream: Stream.Image, chunk: 0 });
  });

  it('keeps at least 3 first-pass jobs queued, and more up to 32 while they hold under 2 MiB', () => {
    const s = new SendScheduler(new FirstPassScheduler({ manifestChunks: 0, imageChunks: 100, isZero: () => false }));
    expect(s.next({ urgent: 0, normal: 2, normalBytes: 8 * MiB }, undefined)).not.toBeNull();
    expect(s.next({ urgent: 0, normal: 3, normalBytes: 2 * MiB }, undefined)).toBeNull();
    expect(s.next({ urgent: 0, normal: 20, normalBytes: 2 * MiB - 1 }, undefined)).not.toBeNull();
    expect(s.next({ urgent: 0, normal: 32, normalBytes: 1000 }, undefined)).toBeNull();
  });

  it('prunes the pass even when it wants no more, so a pass that ends in zero chunks ends', () => {
    const pass = firstPass();
    const s = new SendScheduler(pass);
    for (let i = 0; i < 5; i++) s.next(idle, undefined);
    expect(pass.size).toBe(2);
    expect(s.next({ urgent: 0, normal: 3, normalBytes: 3 * MiB }, undefined)).toBeNull();
    expect(pass.size).toBe(0);
  });

  it('comes back for a repair whose window is still open, unless repairs are queued deep enough', () => {
    const s = new SendScheduler(firstPass());
    expect(s.repairWakeIn(idle, 40)).toBe(40);
    expect(s.repairWakeIn({ ...idle, urgent: 2 }, 40)).toBeUndefined();
    expect(s.repairWakeIn(idle, 0)).toBeUndefined();
    expect(s.repairWakeIn(idle, undefined)).toBeUndefined();
  });
});

describe('Wakeup', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('only ever moves earlier', () => {
    vi.useFakeTimers();
    const clock = new FakeClock(1000);
    const w = new Wakeup();
    const fired: number[] = [];
    const fire = () => fired.push(clock.now());
    w.arm(100, clock.now(), fire);
    w.arm(150, clock.now(), fire); // later: keeps 100
    w.arm(undefined, clock.now(), fire);
    clock.advance(50);
    vi.advanceTimersByTime(50);
    w.arm(20, clock.now(), fire); // earlier: moves to 70
    clock.advance(20);
    vi.advanceTimersByTime(20);
    expect(fired).toEqual([1070]);
    vi.advanceTimersByTime(100);
    expect(fired).toEqual([1070]);
    w.arm(10, clock.now(), fire);
    w.cancel();
    vi.advanceTimersByTime(100);
    expect(fired).toEqual([1070]);
  });
});
