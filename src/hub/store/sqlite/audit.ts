/** The audit log of admin actions. */
import type { Database } from "better-sqlite3";
import type { AuditRecord, NewAuditEntry } from "../store.js";
import { compact, must, opt, stmt } from "./keys.js";

interface AuditRow {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  detail: string | null;
}

function toAudit(row: AuditRow): AuditRecord {
  return compact({
    id: row.id,
    at: row.at,
    actor: row.actor,
    action: row.action,
    target: opt(row.target),
    detail: opt(row.detail),
  });
}

export class AuditRepo {
  private readonly insert;
  private readonly page;

  constructor(db: Database) {
    this.insert = stmt<Record<string, unknown>, AuditRow>(
      db,
      `INSERT INTO audit_log (at, actor, action, target, detail) VALUES (:at, :actor, :action, :target, :detail)
       RETURNING id, at, actor, action, target, detail`,
    );
    this.page = stmt<{ before: number | null; limit: number }, AuditRow>(
      db,
      `SELECT id, at, actor, action, target, detail FROM audit_log
       WHERE :before IS NULL OR id < :before ORDER BY id DESC LIMIT :limit`,
    );
  }

  append(entry: NewAuditEntry): AuditRecord {
    const row = this.insert.get({
      at: entry.at,
      actor: entry.actor,
      action: entry.action,
      target: entry.target ?? null,
      detail: entry.detail ?? null,
    });
    return toAudit(must(row, "audit insert returned no row"));
  }

  list(query: { before?: number; limit: number }): AuditRecord[] {
    return this.page.all({ before: query.before ?? null, limit: query.limit }).map(toAudit);
  }
}
