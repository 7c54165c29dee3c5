/**
 * `search`: full-text search over what the user may read now — rooms they are a member of (not rooms
 * they left or were banned from) and their own DMs. The store matches and ranks; this decides where.
 */
import { MESSAGE_SEARCH_PAGE } from "../../protocol/limits.js";
import type { OpParams, OpResult } from "../../protocol/ops.js";
import type { ConvId, UserId } from "../store/store.js";
import type { Accounts } from "./accounts.js";
import type { Actor, DomainDeps } from "./context.js";
import { fail } from "./errors.js";
import { parseMessageId } from "./messages.js";
import type { Rooms } from "./rooms.js";
import { parseSearchQuery, splitSnippet } from "./search-query.js";
import { toMessage } from "./views.js";

type Where = { room: string } | { user: string };

export class Search {
  constructor(
    private readonly deps: DomainDeps,
    private readonly accounts: Accounts,
    private readonly rooms: Rooms,
  ) {}

  async search(actor: Actor, params: OpParams<"search">): Promise<OpResult<"search">> {
    const parsed = parseSearchQuery(params.query);
    if (parsed.terms.length === 0) {
      fail("INVALID_PARAMS", "query: give at least one word to search for", { field: "query" });
    }
    const roomName = params.room ?? parsed.room;
    const fromName = params.from ?? parsed.from;
    if (roomName !== undefined && params.user !== undefined) {
      fail("INVALID_PARAMS", "give at most one of `room` (or in:#room) and `user`", { field: "user" });
    }
    const places = await this.places(actor.userId, roomName, params.user);
    const fromUserId = fromName === undefined ? undefined : (await this.accounts.findUser(fromName)).id;
    const sort = params.sort ?? "newest";
    let beforeId: number | undefined;
    if (params.before !== undefined) {
      beforeId = parseMessageId(params.before);
      if (beforeId === undefined) fail("INVALID_PARAMS", "before: a message id", { field: "before" });
    }
    const limit = params.limit ?? MESSAGE_SEARCH_PAGE;
    const offset = params.offset ?? 0;
    // One more than asked says whether there is a next page.
    const hits = await this.deps.store.search({
      terms: parsed.terms,
      convIds: [...places.keys()],
      viewerId: actor.userId,
      sort,
      limit: limit + 1,
      ...(fromUserId !== undefined && { fromUserId }),
      ...(beforeId !== undefined && { beforeId }),
      ...(sort === "relevance" && { offset }),
    });
    const page = hits.slice(0, limit);
    const results = page.map(({ message, snippet }) => ({
      ...toMessage(message, places.get(message.convId)!, { withCid: message.fromUserId === actor.userId }),
      ...splitSnippet(snippet),
    }));
    const result: OpResult<"search"> = { results };
    if (hits.length > limit) {
      result.next =
        sort === "newest" ? { before: String(page.at(-1)!.message.id) } : { offset: offset + page.length };
    }
    return result;
  }

  /** The conversations searched, with how each is named to this user. */
  private async places(userId: UserId, roomName?: string, userName?: string): Promise<Map<ConvId, Where>> {
    const { store } = this.deps;
    const places = new Map<ConvId, Where>();
    if (roomName !== undefined) {
      const room = await this.rooms.find(roomName);
      await this.rooms.requireMember(room, userId);
      // The hub holds only sealed envelopes of an end-to-end encrypted room: nothing it could match.
      if (room.e2e === true)
        fail("INVALID_PARAMS", `${room.name} is end-to-end encrypted: search it in your client`);
      places.set(room.convId, { room: room.name });
      return places;
    }
    if (userName !== undefined) {
      const other = await this.accounts.findUser(userName);
      const convId = await store.getDmConversation(userId, other.id, false);
      if (convId !== undefined) places.set(convId, { user: other.username });
      return places;
    }
    const [rooms, dms] = await Promise.all([store.roomsOfUser(userId), store.dmConversations(userId)]);
    for (const { room } of rooms) if (room.e2e !== true) places.set(room.convId, { room: room.name });
    for (const dm of dms) places.set(dm.convId, { user: dm.otherUsername });
    return places;
  }
}
