import type { Emulator } from "../emulator";

const WRITES = new Set(["POST", "PATCH", "DELETE"]);

/**
 * Objects a test made as someone else (a colleague, another stack). `touched` counts those the provider wrote to,
 * deleted or changed since they were registered, by their content and by any write request naming their id; a test
 * adds to it those the state names (taken over).
 */
export class ForeignObjects {
  private readonly marks = new Map<string, { fingerprint: string; since: number }>();
  constructor(private readonly em: Emulator) {}

  add(id: string): string {
    this.marks.set(id, { fingerprint: this.fingerprint(id), since: Date.now() });
    return id;
  }

  get ids(): string[] {
    return [...this.marks.keys()];
  }

  touched(): string[] {
    return [...this.marks].filter(([id, mark]) => this.fingerprint(id) !== mark.fingerprint || this.em.requests.some((r) => r.at >= mark.since && WRITES.has(r.method) && r.path.includes(id))).map(([id]) => id);
  }

  private fingerprint(id: string): string {
    const v = this.em.state.views.find((x) => x.id === id);
    if (v) return JSON.stringify([v.deleted, v.name, v.query, v.latest_history_id, v.is_materialized, v.sync_frequency]);
    const s = this.em.state.sources.find((x) => x.id === id);
    if (s) return JSON.stringify([s.deleted, s.prefix, s.description, s.job_inputs, s.schemas.map((r) => [r.name, r.should_sync, r.sync_type, r.sync_frequency]), s.revenue_analytics_config]);
    const t = this.em.state.tables.find((x) => x.id === id);
    if (t) return JSON.stringify([t.deleted, t.name, t.format, t.url_pattern, t.credential, t.options, t.columns]);
    const j = this.em.state.joins.find((x) => x.id === id);
    if (j) return JSON.stringify(j);
    return "missing";
  }
}
