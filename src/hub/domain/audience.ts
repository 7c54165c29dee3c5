/**
 * Who receives what. Fan-out runs on every message, so room membership and users' mute settings are
 * cached here; every change goes through `changed*`, which also tells the other hub nodes (bus
 * `invalidate`) to drop their copies.
 */
import type { Bus } from "../bus/bus.js";
import { fold, type NameKey } from "../ids.js";
import type { MemberRecord, RoomId, Store, UserId } from "../store/store.js";

/** A user's settings, names folded (ids.ts). */
export interface MuteSettings {
  rooms: Set<NameKey>;
  users: Set<NameKey>;
  blocked: Set<NameKey>;
}

/** What sending to a room needs; stable for the room's life (a new room of the same name has a new id). */
export interface RoomRef {
  id: RoomId;
  convId: number;
  name: string;
  /** End-to-end encrypted: fixed for the room's life. */
  e2e: boolean;
  /** Only the owner, admins and voiced members post: a change drops the cached ref (`changedRoom`). */
  moderated: boolean;
}

/** Who hears a room's messages, and which of them have it (or some senders) muted. */
export interface RoomAudience {
  ids: UserId[];
  /** The same ids, for membership checks on the message path. */
  members: Set<UserId>;
  mutesRoom: Set<UserId>;
  /** Members who mute some users, with those users' folded names. */
  mutesUsers: Map<UserId, Set<NameKey>>;
}

export class Audience {
  /** Room audiences are derived from members and settings: any change to either drops them. */
  private readonly roomAudiences = new Map<RoomId, Promise<RoomAudience>>();
  private readonly readyAudiences = new Map<RoomId, RoomAudience>();
  private readonly roomMembers = new Map<RoomId, Promise<MemberRecord[]>>();
  private readonly userSettings = new Map<UserId, Promise<MuteSettings>>();
  private readonly roomRefs = new Map<NameKey, RoomRef>();

  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
  ) {
    bus.subscribe((message) => {
      if (message.kind === "invalidate") this.drop(message.room, message.user);
    });
    // An invalidation may have been among the lost messages: forget every cached copy.
    bus.onGap(() => this.drop(undefined, undefined));
  }

  members(roomId: RoomId): Promise<MemberRecord[]> {
    let members = this.roomMembers.get(roomId);
    if (!members) {
      members = this.store.getMembers(roomId);
      this.roomMembers.set(roomId, members);
      members.catch(() => this.roomMembers.delete(roomId));
    }
    return members;
  }

  settings(userId: UserId): Promise<MuteSettings> {
    let settings = this.userSettings.get(userId);
    if (!settings) {
      settings = this.store.getSettings(userId).then((s) => ({
        rooms: new Set(s.mutedRooms.map(fold)),
        users: new Set(s.mutedUsers.map(fold)),
        blocked: new Set(s.blocked.map(fold)),
      }));
      this.userSettings.set(userId, settings);
      settings.catch(() => this.userSettings.delete(userId));
    }
    return settings;
  }

  /**
   * A room's audience, cached as a promise so that every message of a burst waits on the same one and
   * the fan-outs keep the order in which the messages were stored.
   */
  roomAudience(roomId: RoomId, roomName: string): Promise<RoomAudience> {
    let audience = this.roomAudiences.get(roomId);
    if (!audience) {
      audience = this.buildRoomAudience(roomId, fold(roomName));
      this.roomAudiences.set(roomId, audience);
      const pending = audience;
      // The first reaction on the promise, so it runs before any message's that waits on it: a message
      // that finds the audience ready cannot overtake one that waited (fan-outs stay in store order).
      audience.then(
        (ready) => {
          if (this.roomAudiences.get(roomId) === pending) this.readyAudiences.set(roomId, ready);
        },
        () => {
          if (this.roomAudiences.get(roomId) === pending) this.roomAudiences.delete(roomId);
        },
      );
    }
    return audience;
  }

  /** The room's audience if it is cached and built (the fan-out's fast path: no promise to wait on). */
  roomAudienceNow(roomId: RoomId): RoomAudience | undefined {
    return this.readyAudiences.get(roomId);
  }

  private async buildRoomAudience(roomId: RoomId, roomKey: NameKey): Promise<RoomAudience> {
    const members = await this.members(roomId);
    const settings = await Promise.all(members.map((m) => this.settings(m.userId)));
    const audience: RoomAudience = {
      ids: [],
      members: new Set(),
      mutesRoom: new Set(),
      mutesUsers: new Map(),
    };
    members.forEach((member, i) => {
      const s = settings[i] as MuteSettings;
      audience.ids.push(member.userId);
      audience.members.add(member.userId);
      if (s.rooms.has(roomKey)) audience.mutesRoom.add(member.userId);
      if (s.users.size > 0) audience.mutesUsers.set(member.userId, s.users);
    });
    return audience;
  }

  /** The cached identity of a room, if it is cached. */
  roomRefNow(name: string): RoomRef | undefined {
    return this.roomRefs.get(fold(name));
  }

  /** A room's identity by name, cached: sending a message should not cost a store read for it. */
  async roomRef(name: string): Promise<RoomRef | undefined> {
    const key = fold(name);
    const cached = this.roomRefs.get(key);
    if (cached) return cached;
    const room = await this.store.getRoom(name);
    if (!room) return undefined;
    const ref = {
      id: room.id,
      convId: room.convId,
      name: room.name,
      e2e: room.e2e === true,
      moderated: room.moderated,
    };
    this.roomRefs.set(key, ref);
    return ref;
  }

  /** Users who share a room or a DM conversation with `userId` (not the user themself). */
  async related(userId: UserId): Promise<UserId[]> {
    const ids = new Set<UserId>();
    const [rooms, dms] = await Promise.all([
      this.store.roomsOfUser(userId),
      this.store.dmConversations(userId),
    ]);
    const memberLists = await Promise.all(rooms.map(({ room }) => this.members(room.id)));
    for (const members of memberLists) for (const m of members) ids.add(m.userId);
    for (const dm of dms) ids.add(dm.otherUserId);
    ids.delete(userId);
    return [...ids];
  }

  async changedRoom(roomId: RoomId): Promise<void> {
    this.drop(roomId, undefined);
    await this.bus.publish({ kind: "invalidate", room: roomId });
  }

  async changedUser(userId: UserId): Promise<void> {
    this.drop(undefined, userId);
    await this.bus.publish({ kind: "invalidate", user: userId });
  }

  /** A rename changes names inside everyone's settings: drop every cached copy. */
  async changedAll(): Promise<void> {
    this.drop(undefined, undefined);
    await this.bus.publish({ kind: "invalidate" });
  }

  private drop(room: RoomId | undefined, user: UserId | undefined): void {
    this.roomAudiences.clear();
    this.readyAudiences.clear();
    if (room === undefined && user === undefined) {
      this.roomMembers.clear();
      this.userSettings.clear();
      this.roomRefs.clear();
      return;
    }
    if (room !== undefined) {
      this.roomMembers.delete(room);
      for (const [key, ref] of this.roomRefs) if (ref.id === room) this.roomRefs.delete(key);
    }
    if (user !== undefined) {
      this.userSettings.delete(user);
    }
  }
}
