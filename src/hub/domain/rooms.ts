/** Rooms and moderation: create, join, leave with succession, kick, ban, roles, update, delete. */
import {
  BANS_MAX,
  HISTORY_PAGE,
  LEAVE_REASON_MAX,
  ROOMS_PAGE,
  ROOM_INVITE_TTL_MS,
  ROOM_INVITES_MAX,
} from "../../protocol/limits.js";
import type { Role } from "../../protocol/model.js";
import type { OpParams, OpResult } from "../../protocol/ops.js";
import { fold } from "../ids.js";
import {
  StoreConflictError,
  type ConvId,
  type MemberRecord,
  type RoomPatch,
  type RoomRecord,
  type UserId,
} from "../store/store.js";
import type { Accounts } from "./accounts.js";
import type { Audience, RoomRef } from "./audience.js";
import type { Actor, DomainDeps } from "./context.js";
import { fail } from "./errors.js";
import type { Files } from "./files.js";
import { notify } from "./notify.js";
import { guardedCheck } from "./password-guard.js";
import { hashPassword, verifyPassword } from "./passwords.js";
import {
  assertCanDelete,
  assertCanDemote,
  assertCanInvite,
  assertCanModerate,
  assertCanPromote,
  assertCanSeeBans,
  assertCanSetTopic,
  assertCanUpdate,
  assertCanVoice,
  isListedTo,
  rank,
  successor,
} from "./roles.js";
import {
  checkDescription,
  checkRoomName,
  checkRoomPassword,
  checkUsername,
  cleanReason,
} from "./validation.js";
import { toMember, toMessage, toRoom } from "./views.js";

/**
 * Told, by an op that gives the user a conversation, where the user's view of it starts: the gateway
 * starts delivering that conversation's messages after this seq.
 */
export type StartedConversation = (conv: ConvId, seq: number) => void;

export class Rooms {
  constructor(
    private readonly deps: DomainDeps,
    private readonly audience: Audience,
    private readonly accounts: Accounts,
    private readonly files?: Files,
  ) {}

  async find(name: string): Promise<RoomRecord> {
    const room = await this.deps.store.getRoom(name);
    if (!room) fail("NO_SUCH_ROOM", `there is no room named ${name}`);
    return room;
  }

  /** A room's identity by name (cached), for the message path. */
  async ref(name: string): Promise<RoomRef> {
    const ref = await this.audience.roomRef(name);
    if (!ref) fail("NO_SUCH_ROOM", `there is no room named ${name}`);
    return ref;
  }

  async roleOf(room: RoomRecord, userId: UserId): Promise<Role | undefined> {
    return (await this.audience.members(room.id)).find((m) => m.userId === userId)?.role;
  }

  async requireMember(room: Pick<RoomRecord, "id" | "name">, userId: UserId): Promise<MemberRecord> {
    const member = (await this.audience.members(room.id)).find((m) => m.userId === userId);
    if (!member) fail("NOT_MEMBER", `you are not a member of ${room.name}`);
    return member;
  }

  private async memberIds(room: RoomRecord): Promise<UserId[]> {
    return (await this.audience.members(room.id)).map((m) => m.userId);
  }

  private async detailedView(room: RoomRecord, actor: Actor) {
    const members = await this.audience.members(room.id);
    const online = await this.deps.presence.onlineAmong(members.map((m) => m.userId));
    const owner = members.find((m) => m.role === "owner")?.username;
    const joined = members.some((m) => m.userId === actor.userId);
    const view = toRoom(room, { joined, online: online.size, ...(owner !== undefined && { owner }) });
    if (joined) view.readSeq = await this.deps.store.getRead(actor.userId, room.convId);
    return view;
  }

  /**
   * A page of rooms in folded-name order. The cursor is opaque to clients: the folded name the page
   * ended at, so a room created or deleted meanwhile neither repeats nor skips the others.
   */
  async list(actor: Actor, params: OpParams<"rooms.list">): Promise<OpResult<"rooms.list">> {
    const { store } = this.deps;
    const limit = params.limit ?? ROOMS_PAGE;
    const after = params.cursor === undefined ? undefined : decodeRoomCursor(params.cursor);
    const mine = await store.roomsOfUser(actor.userId);
    const joined = new Set(mine.map(({ room }) => room.id));
    // One more than the page, to know whether another follows.
    let rooms: RoomRecord[];
    if (params.joined) {
      const prefix = params.query === undefined ? "" : fold(params.query);
      rooms = mine
        .map(({ room }) => room)
        .filter((r) => fold(r.name).startsWith(prefix) && (after === undefined || fold(r.name) > after))
        .sort((a, b) => (fold(a.name) < fold(b.name) ? -1 : 1))
        .slice(0, limit + 1);
    } else {
      // A secret room is listed only to its members (the store filters, so pages stay full).
      rooms = await store.listRooms(params.query, {
        limit: limit + 1,
        visibleTo: actor.userId,
        ...(after !== undefined && { after }),
      });
    }
    const page = rooms.slice(0, limit);
    const last = page.at(-1);
    const next = rooms.length > limit && last ? { nextCursor: encodeRoomCursor(fold(last.name)) } : {};
    if (!params.detail) {
      return {
        rooms: page.map((r) => ({
          name: r.name,
          locked: r.passwordHash !== undefined,
          joined: joined.has(r.id),
        })),
        ...next,
      };
    }
    return { rooms: await Promise.all(page.map((r) => this.detailedView(r, actor))), ...next };
  }

  async create(
    actor: Actor,
    params: OpParams<"room.create">,
    started?: StartedConversation,
  ): Promise<OpResult<"room.create">> {
    const name = checkRoomName(params.name);
    const description = params.description === undefined ? undefined : checkDescription(params.description);
    const password = params.password === undefined ? undefined : checkRoomPassword(params.password);
    if (await this.deps.store.getRoom(name)) fail("ROOM_EXISTS", `a room named ${name} exists`);
    const { maxRoomsPerUser } = this.deps;
    const owned = (await this.deps.store.roomsOfUser(actor.userId)).filter((m) => m.role === "owner");
    if (owned.length >= maxRoomsPerUser) {
      fail("FORBIDDEN", `you own ${owned.length} rooms, the most this hub allows (${maxRoomsPerUser})`);
    }
    const wait = await this.deps.limiters.roomCreate.take(String(actor.userId));
    if (wait > 0) fail("RATE_LIMITED", "you are creating rooms too fast", { retryAfterMs: wait });
    try {
      const createdAt = this.deps.clock.now();
      const creator = description ? await this.requireActorName(actor) : undefined;
      const room = await this.deps.store.createRoom({
        name,
        createdAt,
        ownerId: actor.userId,
        ...(description && creator !== undefined
          ? { description, topicBy: creator, topicAt: createdAt }
          : {}),
        ...(password !== undefined && { passwordHash: await hashPassword(password) }),
        ...(params.capacity !== undefined && { capacity: params.capacity }),
        ...(params.e2e === true && { e2e: true }),
      });
      await this.audience.changedRoom(room.id);
      started?.(room.convId, 0);
      this.deps.log.info({ room: room.name, owner: actor.userId }, "room created");
      return { room: await this.detailedView(room, actor) };
    } catch (error) {
      if (error instanceof StoreConflictError) fail("ROOM_EXISTS", `a room named ${name} exists`);
      throw error;
    }
  }

  /** `started` is told the room's conversation and the seq the joiner has seen it up to. */
  async join(
    actor: Actor,
    params: OpParams<"room.join">,
    started?: StartedConversation,
  ): Promise<OpResult<"room.join">> {
    const { store, clock } = this.deps;
    const room = await this.find(params.room);
    if (await this.roleOf(room, actor.userId)) fail("ALREADY_MEMBER", `you are already in ${room.name}`);
    if (await store.isBanned(room.id, actor.userId)) fail("BANNED", `you are banned from ${room.name}`);
    // An invitation lets its user in once, past the password and the capacity.
    const invited = await store.takeInvite(room.id, actor.userId, clock.now());
    if (room.passwordHash !== undefined && !invited) {
      if (params.password === undefined) fail("WRONG_PASSWORD", `${room.name} needs a password`);
      const { roomPasswordUser, roomPasswordRoom, roomPasswordClean } = this.deps.limiters;
      const [hash, password, user] = [room.passwordHash, params.password, String(actor.userId)];
      const ok = await guardedCheck(
        {
          source: [roomPasswordUser, user],
          target: [roomPasswordRoom, String(room.id)],
          clean: [roomPasswordClean, user],
          refusal: `too many wrong passwords for ${room.name}; try again later`,
        },
        () => verifyPassword(hash, password),
      );
      if (!ok) fail("WRONG_PASSWORD", `wrong password for ${room.name}`);
    }
    // An e2e room holds no more members than a message may be sealed to devices (each has one at least):
    // not even an invitation passes that.
    const chosen = invited ? undefined : room.capacity;
    const capacity = room.e2e ? Math.min(chosen ?? Infinity, this.deps.e2eMaxDevices) : chosen;
    const added = await store.addMember(room.id, actor.userId, "member", clock.now(), capacity);
    if (added === "full") fail("ROOM_FULL", `${room.name} is full (capacity ${capacity})`);
    if (added === "exists") fail("ALREADY_MEMBER", `you are already in ${room.name}`);
    // A ban stored while this join was under way (e.g. during the password check) must still keep them
    // out: ban re-reads membership after storing the ban, and join re-reads the ban after adding.
    if (await store.isBanned(room.id, actor.userId)) {
      if ((await store.removeMember(room.id, actor.userId)) === 0) await this.deleteRoom(room);
      await this.audience.changedRoom(room.id);
      fail("BANNED", `you are banned from ${room.name}`);
    }
    await this.audience.changedRoom(room.id);
    const me = await this.accounts.requireUser(actor.userId);
    await notify(this.deps.bus, await this.memberIds(room), {
      ev: "member.joined",
      room: room.name,
      username: me.username,
      role: "member",
    });
    const fresh = (await store.getRoom(room.name)) ?? room;
    // The reply's history runs up to lastSeq; the live messages after it follow.
    started?.(fresh.convId, fresh.lastSeq);
    const [members, history] = await Promise.all([
      this.membersView(fresh),
      store.history(fresh.convId, { limit: HISTORY_PAGE }, actor.userId),
    ]);
    const files = (await this.files?.ofMessages(history)) ?? new Map();
    const reactions = await store.reactions(
      history.map((m) => m.id),
      actor.userId,
    );
    return {
      room: await this.detailedView(fresh, actor),
      members,
      history: history.map((m) =>
        toMessage(
          m,
          { room: fresh.name },
          {
            withCid: m.fromUserId === actor.userId,
            file: files.get(m.id),
            reactions: reactions.get(m.id),
            e2eFor: fresh.e2e === true ? actor.userId : undefined,
          },
        ),
      ),
      lastSeq: fresh.lastSeq,
    };
  }

  private async membersView(room: RoomRecord) {
    const members = await this.audience.members(room.id);
    const online = await this.deps.presence.onlineAmong(members.map((m) => m.userId));
    return members.map((m) => toMember(m, online.has(m.userId)));
  }

  /**
   * The rooms the actor and `username` are both members of, with that user's role in each (what an IRC
   * client is shown when that user comes back online: a JOIN per shared channel), and whether they are
   * voiced there. Two store reads, and the rooms' cached member lists.
   */
  async shared(
    actor: Actor,
    username: string,
  ): Promise<Array<{ room: string; role: Role; voiced: boolean }>> {
    const other = await this.accounts.findUser(username);
    const mine = new Set((await this.deps.store.roomsOfUser(actor.userId)).map((r) => r.room.id));
    const shared = (await this.deps.store.roomsOfUser(other.id)).filter((r) => mine.has(r.room.id));
    return Promise.all(
      shared.map(async (r) => ({
        room: r.room.name,
        role: r.role,
        voiced: (await this.audience.members(r.room.id)).some((m) => m.userId === other.id && m.voiced),
      })),
    );
  }

  /**
   * The rooms `username` is in that the actor may see (IRC WHOIS): a secret room only when the actor
   * is a member too (`isListedTo`). Two store reads, and the listed rooms' cached member lists.
   */
  async roomsOf(
    actor: Actor,
    username: string,
  ): Promise<Array<{ room: string; role: Role; voiced: boolean }>> {
    const other = await this.accounts.findUser(username);
    const mine = new Set((await this.deps.store.roomsOfUser(actor.userId)).map((r) => r.room.id));
    const theirs = (await this.deps.store.roomsOfUser(other.id)).filter((r) =>
      isListedTo(r.room, mine.has(r.room.id)),
    );
    return Promise.all(
      theirs.map(async (r) => ({
        room: r.room.name,
        role: r.role,
        voiced: (await this.audience.members(r.room.id)).some((m) => m.userId === other.id && m.voiced),
      })),
    );
  }

  async members(actor: Actor, params: OpParams<"room.members">): Promise<OpResult<"room.members">> {
    const room = await this.find(params.room);
    await this.requireMember(room, actor.userId);
    return { members: await this.membersView(room) };
  }

  async leave(actor: Actor, params: OpParams<"room.leave">): Promise<void> {
    const room = await this.find(params.room);
    const me = await this.requireMember(room, actor.userId);
    const note = cleanReason(params.reason, LEAVE_REASON_MAX);
    await this.removeMember(room, me, { reason: "left", ...(note !== undefined && { note }) });
  }

  /**
   * Invites a user: their next join, before the invitation expires, passes the password and the
   * capacity (not a ban). Who may invite is `assertCanInvite`'s rule; a room holds at most
   * ROOM_INVITES_MAX open invitations. A user who blocked the inviter is not told (as blocked DMs are
   * not), but the invitation stands.
   */
  async invite(actor: Actor, params: OpParams<"room.invite">): Promise<OpResult<"room.invite">> {
    const { store, clock } = this.deps;
    const room = await this.find(params.room);
    assertCanInvite(await this.roleOf(room, actor.userId), room.passwordHash !== undefined);
    const user = await this.accounts.findUser(params.username);
    if (await this.roleOf(room, user.id))
      fail("ALREADY_MEMBER", `${user.username} is already in ${room.name}`);
    if (await store.isBanned(room.id, user.id))
      fail("BANNED", `${user.username} is banned from ${room.name}`);
    const now = clock.now();
    const expiresAt = now + ROOM_INVITE_TTL_MS;
    if (!(await store.addInvite(room.id, user.id, expiresAt, now, ROOM_INVITES_MAX))) {
      fail(
        "FORBIDDEN",
        `${room.name} has ${ROOM_INVITES_MAX} open invitations, the most a room may hold; try again when some are used or expire`,
      );
    }
    const by = await this.requireActorName(actor);
    this.deps.log.info({ room: room.name, by, target: user.username }, "user invited");
    if (!(await store.isBlocked(actor.userId, user.id))) {
      await notify(this.deps.bus, [user.id], { ev: "invited", room: room.name, by, expiresAt });
    }
    return { expiresAt };
  }

  /**
   * Removes a member and applies succession if it was the owner; deletes the room when nobody is left.
   * `reason` decides the events: the one removed also gets `kicked`/`banned`.
   */
  private async removeMember(
    room: RoomRecord,
    member: MemberRecord,
    how: { reason: "left" | "kicked" | "banned"; by?: string; note?: string },
  ): Promise<void> {
    const { store, bus, log } = this.deps;
    const before = await this.audience.members(room.id);
    const heir = member.role === "owner" ? successor(before, member.userId) : undefined;
    const remaining = await store.removeMember(room.id, member.userId, heir?.userId);
    await this.audience.changedRoom(room.id);
    if (remaining === 0) {
      await this.deleteRoom(room);
      log.info({ room: room.name }, "room deleted: last member left");
      await notify(bus, [member.userId], { ev: "room.deleted", room: room.name });
      return;
    }
    const owner = await this.ensureOwner(room, member.userId, heir);
    const everyone = before.map((m) => m.userId);
    await notify(bus, everyone, {
      ev: "member.left",
      room: room.name,
      username: member.username,
      reason: how.reason,
      ...(how.by !== undefined && { by: how.by }),
      ...(how.note !== undefined && { message: how.note }),
    });
    if (how.reason !== "left" && how.by !== undefined) {
      await notify(bus, [member.userId], {
        ev: how.reason,
        room: room.name,
        by: how.by,
        ...(how.note !== undefined && { reason: how.note }),
      });
    }
    if (owner) {
      log.info({ room: room.name, owner: owner.username }, "ownership passed on (succession)");
      await notify(
        bus,
        everyone.filter((id) => id !== member.userId),
        {
          ev: "role.changed",
          room: room.name,
          username: owner.username,
          role: "owner",
          reason: "succession",
        },
      );
    }
  }

  /**
   * The heir was chosen from members read before the removal; if they left at the same moment (their
   * own leave still saw the old owner), the room would have no owner. Check what the store holds now and
   * apply succession again if nobody owns the room. Returns the new owner to announce, if this call made one.
   */
  private async ensureOwner(
    room: RoomRecord,
    leaving: UserId,
    heir: MemberRecord | undefined,
  ): Promise<MemberRecord | undefined> {
    const { store } = this.deps;
    const after = await store.getMembers(room.id);
    if (after.some((m) => m.role === "owner")) {
      return heir && after.some((m) => m.userId === heir.userId && m.role === "owner") ? heir : undefined;
    }
    const next = successor(after, leaving);
    if (!next) return undefined;
    await store.setRole(room.id, next.userId, "owner");
    await this.audience.changedRoom(room.id);
    return next;
  }

  private async target(room: RoomRecord, username: string) {
    const user = await this.accounts.findUser(username);
    const member = (await this.audience.members(room.id)).find((m) => m.userId === user.id);
    return { user, member };
  }

  async kick(actor: Actor, params: OpParams<"room.kick">): Promise<void> {
    const room = await this.find(params.room);
    const by = await this.requireActorName(actor);
    const actorRole = await this.roleOf(room, actor.userId);
    const { user, member } = await this.target(room, params.username);
    if (!member) fail("NOT_MEMBER", `${user.username} is not a member of ${room.name}`);
    assertCanModerate(actorRole, member.role, "kick");
    await this.removeMember(room, member, {
      reason: "kicked",
      by,
      ...(params.reason && { note: params.reason }),
    });
    this.deps.log.info({ room: room.name, by, target: user.username }, "member kicked");
  }

  async ban(actor: Actor, params: OpParams<"room.ban">): Promise<void> {
    const { store, clock } = this.deps;
    const room = await this.find(params.room);
    const by = await this.requireActorName(actor);
    const actorRole = await this.roleOf(room, actor.userId);
    if (params.byName === true && !(await store.getUserByName(params.username))) {
      return this.banName(room, actor, by, actorRole, params);
    }
    const { user, member: known } = await this.target(room, params.username);
    assertCanModerate(actorRole, known?.role, "ban");
    await store.addBan(room.id, user.id, actor.userId, clock.now(), params.reason);
    // Read membership again from the store: they may have joined since the (cached) look-up above.
    const member = known ?? (await store.getMember(room.id, user.id));
    if (member) {
      await this.removeMember(room, member, {
        reason: "banned",
        by,
        ...(params.reason && { note: params.reason }),
      });
    } else {
      await notify(this.deps.bus, [user.id], {
        ev: "banned",
        room: room.name,
        by,
        ...(params.reason !== undefined && { reason: params.reason }),
      });
    }
    this.deps.log.info({ room: room.name, by, target: user.username }, "user banned");
  }

  /**
   * A name ban: no account holds the name, so the name itself is banned; whoever holds it at join time
   * (ignoring case, accounts created later included) is kept out. At most BANS_MAX name bans a room.
   */
  private async banName(
    room: RoomRecord,
    actor: Actor,
    by: string,
    actorRole: Role | undefined,
    params: OpParams<"room.ban">,
  ): Promise<void> {
    const { store, clock } = this.deps;
    assertCanModerate(actorRole, undefined, "ban");
    const name = checkUsername(params.username);
    const existing = (await store.getBans(room.id)).filter((b) => b.byName === true);
    if (existing.length >= BANS_MAX && !existing.some((b) => fold(b.username) === fold(name))) {
      fail("FORBIDDEN", `${room.name} has ${BANS_MAX} name bans, the most a room may hold`);
    }
    await store.addNameBan(room.id, name, actor.userId, clock.now(), params.reason);
    this.deps.log.info({ room: room.name, by, target: name }, "name banned");
    // An account may have taken the name (and joined) since the look-up: it must not stay in.
    const holder = await store.getUserByName(name);
    const member = holder && (await store.getMember(room.id, holder.id));
    if (member && rank(member.role) < rank(actorRole)) {
      await this.removeMember(room, member, {
        reason: "banned",
        by,
        ...(params.reason && { note: params.reason }),
      });
    }
  }

  /** Lifts the ban of the account of that name and the ban of the name itself, whichever there are. */
  async unban(actor: Actor, params: OpParams<"room.unban">): Promise<void> {
    const { store } = this.deps;
    const room = await this.find(params.room);
    const actorRole = await this.roleOf(room, actor.userId);
    assertCanModerate(actorRole, undefined, "unban");
    const user = await store.getUserByName(params.username);
    const account = user !== undefined && (await store.removeBan(room.id, user.id));
    const name = await store.removeNameBan(room.id, params.username);
    if (!account && !name) fail("NOT_BANNED", `${params.username} is not banned from ${room.name}`);
    this.deps.log.info({ room: room.name, by: actor.userId, target: params.username }, "user unbanned");
  }

  async bans(actor: Actor, params: OpParams<"room.bans">): Promise<OpResult<"room.bans">> {
    const room = await this.find(params.room);
    assertCanSeeBans(await this.roleOf(room, actor.userId));
    const bans = await this.deps.store.getBans(room.id);
    return {
      bans: bans.slice(0, BANS_MAX).map((b) => ({
        username: b.username,
        ...(b.byName === true && { byName: true }),
        by: b.byUsername,
        at: b.at,
        ...(b.reason !== undefined && { reason: b.reason }),
      })),
    };
  }

  async promote(actor: Actor, params: OpParams<"room.promote">): Promise<void> {
    await this.changeRole(actor, params, "promoted");
  }

  async demote(actor: Actor, params: OpParams<"room.demote">): Promise<void> {
    await this.changeRole(actor, params, "demoted");
  }

  private async changeRole(
    actor: Actor,
    params: { room: string; username: string },
    how: "promoted" | "demoted",
  ) {
    const room = await this.find(params.room);
    const actorRole = await this.roleOf(room, actor.userId);
    const { user, member } = await this.target(room, params.username);
    if (!member) fail("NOT_MEMBER", `${user.username} is not a member of ${room.name}`);
    if (how === "promoted") assertCanPromote(actorRole, member.role);
    else assertCanDemote(actorRole, member.role);
    const role: Role = how === "promoted" ? "admin" : "member";
    if (member.role === role) return;
    await this.deps.store.setRole(room.id, user.id, role);
    await this.audience.changedRoom(room.id);
    const by = await this.requireActorName(actor);
    this.deps.log.info({ room: room.name, by, target: user.username, role }, `member ${how}`);
    await notify(this.deps.bus, await this.memberIds(room), {
      ev: "role.changed",
      room: room.name,
      username: user.username,
      role,
      by,
      reason: how,
    });
  }

  /**
   * Gives or takes a member's voice (admins and owner, `assertCanVoice`). Voice belongs to the
   * membership: leaving, a kick or a ban ends it; a promotion or demotion keeps it. Nothing changes,
   * and nobody is told, when the member already is as asked.
   */
  async voice(actor: Actor, params: OpParams<"room.voice">): Promise<void> {
    const room = await this.find(params.room);
    assertCanVoice(await this.roleOf(room, actor.userId));
    const { user, member } = await this.target(room, params.username);
    if (!member) fail("NOT_MEMBER", `${user.username} is not a member of ${room.name}`);
    if (member.voiced === params.voice) return;
    if (!(await this.deps.store.setVoice(room.id, user.id, params.voice))) {
      fail("NOT_MEMBER", `${user.username} is not a member of ${room.name}`);
    }
    await this.audience.changedRoom(room.id);
    const by = await this.requireActorName(actor);
    this.deps.log.info({ room: room.name, by, target: user.username, voiced: params.voice }, "voice changed");
    await notify(this.deps.bus, await this.memberIds(room), {
      ev: "voice.changed",
      room: room.name,
      username: user.username,
      voiced: params.voice,
      by,
    });
  }

  async update(actor: Actor, params: OpParams<"room.update">): Promise<OpResult<"room.update">> {
    const room = await this.find(params.room);
    const role = await this.roleOf(room, actor.userId);
    const topicOnly =
      params.password === undefined &&
      params.capacity === undefined &&
      params.topicLocked === undefined &&
      params.moderated === undefined &&
      params.secret === undefined;
    if (topicOnly && params.description !== undefined) assertCanSetTopic(role, room.topicLocked);
    else assertCanUpdate(role);
    const by = await this.requireActorName(actor);
    const patch: RoomPatch = {};
    if (params.description !== undefined) {
      patch.description = params.description === null ? null : checkDescription(params.description) || null;
      patch.topicBy = patch.description === null ? null : by;
      patch.topicAt = patch.description === null ? null : this.deps.clock.now();
    }
    if (params.topicLocked !== undefined) patch.topicLocked = params.topicLocked;
    if (params.moderated !== undefined) patch.moderated = params.moderated;
    if (params.secret !== undefined) patch.secret = params.secret;
    if (params.password !== undefined) {
      patch.passwordHash =
        params.password === null ? null : await hashPassword(checkRoomPassword(params.password));
    }
    if (params.capacity !== undefined) patch.capacity = params.capacity;
    const updated = await this.deps.store.updateRoom(room.id, patch);
    // The message path caches whether a room is moderated (audience.roomRef): drop every node's copy.
    if (updated.moderated !== room.moderated) await this.audience.changedRoom(room.id);
    const view = await this.detailedView(updated, actor);
    this.deps.log.info({ room: room.name, by }, "room updated");
    // The members' copy: the actor's read marker is theirs alone.
    const { readSeq: _readSeq, ...shared } = view;
    await notify(this.deps.bus, await this.memberIds(updated), {
      ev: "room.updated",
      room: { ...shared, joined: true },
      by,
    });
    return { room: view };
  }

  async delete(actor: Actor, params: OpParams<"room.delete">): Promise<void> {
    const room = await this.find(params.room);
    assertCanDelete(await this.roleOf(room, actor.userId));
    const everyone = await this.memberIds(room);
    await this.deleteRoom(room);
    this.deps.log.info({ room: room.name, by: actor.userId }, "room deleted by its owner");
    await notify(this.deps.bus, everyone, { ev: "room.deleted", room: room.name });
  }

  /**
   * The store drops the room's mutes with it, but cached settings hold muted rooms by name: without
   * dropping them, a new room of the same name would arrive muted. Deletions are rare; drop every copy.
   */
  private async deleteRoom(room: RoomRecord): Promise<void> {
    // The files' records go first (their bytes right after): a crash between leaves only orphan
    // blobs, which the files sweep removes, never a record whose bytes are gone.
    const blobs = (await this.files?.forgetConversation(room.convId)) ?? [];
    await this.deps.store.deleteRoom(room.id);
    await this.audience.changedAll();
    await this.files?.release(blobs);
  }

  /** Removes a user from every room they are in, with succession (their account is being deleted). */
  async removeEverywhere(userId: UserId): Promise<void> {
    for (const { room } of await this.deps.store.roomsOfUser(userId)) {
      const member = (await this.audience.members(room.id)).find((m) => m.userId === userId);
      if (member) await this.removeMember(room, member, { reason: "left" });
    }
  }

  /** Deletes a room whatever anyone's role (a server admin takes it down) and tells its members. */
  async takeDown(name: string): Promise<RoomRecord> {
    const room = await this.find(name);
    const everyone = await this.memberIds(room);
    await this.deleteRoom(room);
    await notify(this.deps.bus, everyone, { ev: "room.deleted", room: room.name });
    return room;
  }

  /**
   * Makes a user the room's owner, joining them (and lifting a ban) if need be; the previous owner
   * becomes an admin. Members hear `role.changed` with reason `transferred`.
   */
  async transferOwnership(
    name: string,
    username: string,
    by: string,
  ): Promise<{ room: string; from?: string; to: string }> {
    const { store, clock, bus } = this.deps;
    const room = await this.find(name);
    const user = await this.accounts.findUser(username);
    const members = await this.audience.members(room.id);
    const previous = members.find((m) => m.role === "owner");
    const result = { room: room.name, to: user.username, ...(previous && { from: previous.username }) };
    if (previous?.userId === user.id) return result;
    if (members.some((m) => m.userId === user.id)) {
      await store.setRole(room.id, user.id, "owner");
    } else {
      await store.removeBan(room.id, user.id);
      // Past capacity on purpose: an admin's decision is not refused for a full room.
      await store.addMember(room.id, user.id, "owner", clock.now());
    }
    if (previous) await store.setRole(room.id, previous.userId, "admin");
    await this.audience.changedRoom(room.id);
    const everyone = await this.memberIds(room);
    if (!members.some((m) => m.userId === user.id)) {
      await notify(bus, everyone, {
        ev: "member.joined",
        room: room.name,
        username: user.username,
        role: "owner",
      });
    }
    const changed = [
      { username: user.username, role: "owner" as const },
      ...(previous ? [{ username: previous.username, role: "admin" as const }] : []),
    ];
    for (const change of changed) {
      await notify(bus, everyone, {
        ev: "role.changed",
        room: room.name,
        ...change,
        by,
        reason: "transferred",
      });
    }
    return result;
  }

  private async requireActorName(actor: Actor): Promise<string> {
    return (await this.accounts.requireUser(actor.userId)).username;
  }
}

function encodeRoomCursor(after: string): string {
  return Buffer.from(JSON.stringify({ after }), "utf8").toString("base64url");
}

function decodeRoomCursor(cursor: string): string {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { after?: unknown };
    if (typeof value.after === "string") return value.after;
  } catch {
    // fall through: not one of ours
  }
  fail("INVALID_PARAMS", "cursor: not a cursor this hub gave", { field: "cursor" });
}
