// A named state machine over one transition table: sessions say where they
// are in one field, and a move the table does not allow is a bug that
// throws at once instead of leaving a session half in two states.

export type TransitionTable<S extends string> = { readonly [K in S]: readonly S[] };

export class IllegalTransitionError extends Error {
  constructor(machine: string, from: string, to: string) {
    super(`${machine}: illegal transition ${from} -> ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

export class StateMachine<S extends string> {
  private current: S;
  private readonly listeners: ((from: S, to: S) => void)[] = [];

  constructor(
    readonly name: string,
    initial: S,
    private readonly table: TransitionTable<S>,
  ) {
    this.current = initial;
  }

  get state(): S {
    return this.current;
  }

  is(...states: S[]): boolean {
    return states.includes(this.current);
  }

  can(to: S): boolean {
    return this.table[this.current].includes(to);
  }

  /** Moves to `to`; throws IllegalTransitionError if the table does not allow it. */
  to(to: S): void {
    if (!this.can(to)) throw new IllegalTransitionError(this.name, this.current, to);
    const from = this.current;
    this.current = to;
    for (const l of this.listeners) l(from, to);
  }

  onTransition(listener: (from: S, to: S) => void): void {
    this.listeners.push(listener);
  }
}
