/** The domain, composed: every rule of the hub, behind plain async methods. No sockets, no SQL. */
import { DEFAULT_EDIT_WINDOW_MS, DEFAULT_MAX_REACTIONS_PER_USER } from "../../protocol/limits.js";
import { Accounts } from "./accounts.js";
import { Admin } from "./admin.js";
import { Audience } from "./audience.js";
import type { DomainDeps } from "./context.js";
import { E2eRooms } from "./e2e-rooms.js";
import { Files } from "./files.js";
import { Guests } from "./guests.js";
import { MessageChanges } from "./message-changes.js";
import { Messages } from "./messages.js";
import { Search } from "./search.js";
import { Presences } from "./presence.js";
import { Rooms } from "./rooms.js";
import { Settings } from "./settings.js";

export class Domain {
  readonly audience: Audience;
  readonly accounts: Accounts;
  readonly rooms: Rooms;
  readonly messages: Messages;
  readonly changes: MessageChanges;
  readonly search: Search;
  readonly settings: Settings;
  readonly presence: Presences;
  readonly files: Files;
  readonly admin: Admin;
  readonly guests: Guests;
  readonly e2e: E2eRooms;

  constructor(readonly deps: DomainDeps) {
    this.audience = new Audience(deps.store, deps.bus);
    this.accounts = new Accounts(deps, this.audience);
    this.files = new Files(deps, this.audience, this.accounts);
    this.rooms = new Rooms(deps, this.audience, this.accounts, this.files);
    this.messages = new Messages(deps, this.audience, this.accounts, this.rooms, this.files);
    this.changes = new MessageChanges(deps, this.audience, {
      editWindowMs: deps.editWindowMs ?? DEFAULT_EDIT_WINDOW_MS,
      maxReactions: deps.maxReactions ?? DEFAULT_MAX_REACTIONS_PER_USER,
    });
    this.search = new Search(deps, this.accounts, this.rooms);
    this.settings = new Settings(deps, this.audience, this.accounts, this.rooms);
    this.presence = new Presences(deps, this.audience);
    this.e2e = new E2eRooms(deps, this.audience, this.rooms);
    this.admin = new Admin(deps, this.audience, this.accounts, this.rooms, this.files);
    this.guests = new Guests(deps, this.accounts, this.admin);
  }
}
