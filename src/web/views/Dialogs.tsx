/** Dialogs: confirmations, questions, creating and joining rooms, new DMs, profile, quick switcher, keys, bans. */
import { useSignal } from "@preact/signals";
import type { ComponentChildren, JSX } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { dmKey, roomKey } from "../../client/core/index.js";
import type { Ban, Room, User } from "../../protocol/index.js";
import { describeError } from "../../ui/commands/errors.js";
import { STATUS_VIEW, viewTitle } from "../../ui/view-keys.js";
import type { Dialog, WebApp } from "../app/controller.js";
import { WEB_KEY_HELP } from "../app/keys.js";

function Frame({
  app,
  title,
  children,
}: {
  app: WebApp;
  title: string;
  children: ComponentChildren;
}): JSX.Element {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>("input, textarea, select, button.primary, button")?.focus();
  }, []);
  return (
    <div class="overlay" onClick={(e) => e.target === e.currentTarget && app.closeDialog()}>
      <div class="dialog" role="dialog" aria-modal="true" aria-label={title} ref={ref}>
        <h2>{title}</h2>
        {children}
      </div>
    </div>
  );
}

/** A form whose submit runs `action`; its error stays in the dialog. */
function useAction(app: WebApp) {
  const error = useSignal<string | null>(null);
  const busy = useSignal(false);
  const run = async (action: () => Promise<void>): Promise<void> => {
    busy.value = true;
    error.value = null;
    try {
      await action();
      app.dialog.value = null;
    } catch (e) {
      error.value = describeError(e);
    } finally {
      busy.value = false;
    }
  };
  return { error, busy, run };
}

function ErrorLine({ text }: { text: string | null }): JSX.Element | null {
  return text ? (
    <p class="error" role="alert">
      {text}
    </p>
  ) : null;
}

function Confirm({ app, d }: { app: WebApp; d: Extract<Dialog, { kind: "confirm" }> }): JSX.Element {
  const typed = useSignal("");
  const { error, busy, run } = useAction(app);
  const blocked = d.typeToConfirm !== undefined && typed.value !== d.typeToConfirm;
  return (
    <Frame app={app} title={d.title}>
      <form onSubmit={(e) => (e.preventDefault(), !blocked && void run(d.run))}>
        <p>{d.text}</p>
        {d.typeToConfirm !== undefined ? (
          <label>
            Type {d.typeToConfirm} to confirm
            <input value={typed.value} onInput={(e) => (typed.value = e.currentTarget.value)} />
          </label>
        ) : null}
        <ErrorLine text={error.value} />
        <div class="buttons">
          <button type="button" onClick={() => app.closeDialog()}>
            Cancel
          </button>
          <button type="submit" class="primary danger" disabled={blocked || busy.value}>
            {d.action}
          </button>
        </div>
      </form>
    </Frame>
  );
}

function Prompt({ app, d }: { app: WebApp; d: Extract<Dialog, { kind: "prompt" }> }): JSX.Element {
  const value = useSignal(d.initial ?? "");
  return (
    <Frame app={app} title={d.label}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          app.dialog.value = null;
          d.resolve(value.value);
        }}
      >
        <label>
          {d.label}
          <input
            type={d.secret ? "password" : "text"}
            value={value.value}
            onInput={(e) => (value.value = e.currentTarget.value)}
          />
        </label>
        <div class="buttons">
          <button type="button" onClick={() => app.closeDialog()}>
            Cancel
          </button>
          <button type="submit" class="primary">
            OK
          </button>
        </div>
      </form>
    </Frame>
  );
}

function CreateRoom({ app }: { app: WebApp }): JSX.Element {
  const name = useSignal("");
  const desc = useSignal("");
  const password = useSignal("");
  const capacity = useSignal("");
  const { error, busy, run } = useAction(app);
  return (
    <Frame app={app} title="Create a room">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            const room = name.value.trim().replace(/^#/, "").toLowerCase();
            await app.client.createRoom({
              name: room,
              ...(desc.value.trim() ? { description: desc.value.trim() } : {}),
              ...(password.value ? { password: password.value } : {}),
              ...(capacity.value ? { capacity: Number(capacity.value) } : {}),
            });
            app.switchTo(roomKey(room));
          });
        }}
      >
        <label>
          Name
          <input
            required
            pattern="#?[a-zA-Z0-9_\-]{1,48}"
            value={name.value}
            onInput={(e) => (name.value = e.currentTarget.value)}
          />
        </label>
        <label>
          Description (optional)
          <input value={desc.value} onInput={(e) => (desc.value = e.currentTarget.value)} />
        </label>
        <label>
          Password (optional)
          <input
            type="password"
            autoComplete="new-password"
            value={password.value}
            onInput={(e) => (password.value = e.currentTarget.value)}
          />
        </label>
        <label>
          Capacity (optional, 2–10000)
          <input
            type="number"
            min={2}
            max={10000}
            value={capacity.value}
            onInput={(e) => (capacity.value = e.currentTarget.value)}
          />
        </label>
        <ErrorLine text={error.value} />
        <div class="buttons">
          <button type="button" onClick={() => app.closeDialog()}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy.value}>
            Create
          </button>
        </div>
      </form>
    </Frame>
  );
}

function JoinRoom({ app }: { app: WebApp }): JSX.Element {
  const rooms = useSignal<Room[] | null>(null);
  const query = useSignal("");
  const password = useSignal("");
  const { error, busy, run } = useAction(app);
  useEffect(() => {
    app.client
      .call("rooms.list", { detail: true })
      .then((r) => (rooms.value = r.rooms.filter((x): x is Room => "members" in x)))
      .catch((e: unknown) => (error.value = describeError(e)));
  }, []);
  const join = (room: Room): void =>
    void run(async () => {
      if (!room.joined) await app.client.joinRoom(room.name, room.locked ? password.value : undefined);
      app.switchTo(roomKey(room.name));
    });
  const shown = (rooms.value ?? []).filter((r) =>
    r.name.startsWith(query.value.toLowerCase().replace(/^#/, "")),
  );
  return (
    <Frame app={app} title="Join a room">
      <label>
        Search
        <input
          value={query.value}
          onInput={(e) => (query.value = e.currentTarget.value)}
          placeholder="room name"
        />
      </label>
      <label>
        Password (for a locked room)
        <input
          type="password"
          value={password.value}
          onInput={(e) => (password.value = e.currentTarget.value)}
        />
      </label>
      <ErrorLine text={error.value} />
      {rooms.value === null ? (
        <p>Loading…</p>
      ) : shown.length === 0 ? (
        <p>No rooms found. Create one with + beside Rooms.</p>
      ) : null}
      <ul class="pick">
        {shown.map((r) => (
          <li key={r.name}>
            <button type="button" disabled={busy.value} onClick={() => join(r)}>
              <strong>#{r.name}</strong> {r.locked ? <span class="role">password</span> : null}{" "}
              <small>
                {r.members} member{r.members === 1 ? "" : "s"}
                {r.joined ? " · joined" : ""}
                {r.description ? ` · ${r.description}` : ""}
              </small>
            </button>
          </li>
        ))}
      </ul>
      <div class="buttons">
        <button type="button" onClick={() => app.closeDialog()}>
          Close
        </button>
      </div>
    </Frame>
  );
}

function NewDm({ app }: { app: WebApp }): JSX.Element {
  const query = useSignal("");
  const users = useSignal<User[]>([]);
  const { error, busy, run } = useAction(app);
  useEffect(() => {
    const q = query.value.trim();
    if (q === "") {
      users.value = [];
      return;
    }
    const timer = setTimeout(() => {
      app.client
        .call("users.search", { query: q })
        .then((r) => (users.value = r.users))
        .catch((e: unknown) => (error.value = describeError(e)));
    }, 150);
    return () => clearTimeout(timer);
  }, [query.value]);
  const open = (name: string): void =>
    void run(async () => {
      await app.client.openDm(name);
      app.switchTo(dmKey(name));
    });
  return (
    <Frame app={app} title="New direct message">
      <label>
        Search people
        <input
          value={query.value}
          onInput={(e) => (query.value = e.currentTarget.value)}
          placeholder="username or name"
        />
      </label>
      <ErrorLine text={error.value} />
      <ul class="pick">
        {users.value
          .filter((u) => u.username !== app.state.value?.me?.username)
          .map((u) => (
            <li key={u.username}>
              <button type="button" disabled={busy.value} onClick={() => open(u.username)}>
                <span class={`dot ${u.online ? "on" : "off"}`} aria-hidden="true" />{" "}
                <strong>{u.username}</strong>{" "}
                <small>
                  {u.displayName !== u.username ? u.displayName : ""}
                  {u.firstName || u.lastName
                    ? ` · ${[u.firstName, u.lastName].filter(Boolean).join(" ")}`
                    : ""}
                </small>
              </button>
            </li>
          ))}
      </ul>
      <div class="buttons">
        <button type="button" onClick={() => app.closeDialog()}>
          Close
        </button>
      </div>
    </Frame>
  );
}

function Profile({ app }: { app: WebApp }): JSX.Element {
  const me = app.state.value?.me;
  const display = useSignal(me?.displayName ?? "");
  const first = useSignal(me?.firstName ?? "");
  const last = useSignal(me?.lastName ?? "");
  const username = useSignal(me?.username ?? "");
  const password = useSignal("");
  const { error, busy, run } = useAction(app);
  const c = app.client;
  return (
    <Frame app={app} title="Your profile">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            await c.call("me.update", {
              displayName: display.value.trim() || (me?.username ?? ""),
              firstName: first.value.trim() || null,
              lastName: last.value.trim() || null,
            });
            const wanted = username.value.trim().toLowerCase();
            if (me && wanted !== me.username) {
              await c.call("me.rename", { username: wanted, password: password.value });
            }
          });
        }}
      >
        <label>
          Display name
          <input value={display.value} onInput={(e) => (display.value = e.currentTarget.value)} />
        </label>
        <label>
          First name
          <input value={first.value} onInput={(e) => (first.value = e.currentTarget.value)} />
        </label>
        <label>
          Last name
          <input value={last.value} onInput={(e) => (last.value = e.currentTarget.value)} />
        </label>
        <label>
          Username (changing it keeps your history and rooms)
          <input value={username.value} onInput={(e) => (username.value = e.currentTarget.value)} />
        </label>
        {me && username.value.trim().toLowerCase() !== me.username ? (
          <label>
            Your password, to confirm the rename
            <input
              type="password"
              autoComplete="current-password"
              value={password.value}
              onInput={(e) => (password.value = e.currentTarget.value)}
            />
          </label>
        ) : null}
        <p class="small">To change your password, type /password in the message box.</p>
        <ErrorLine text={error.value} />
        <div class="buttons">
          <button type="button" onClick={() => app.closeDialog()}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy.value}>
            Save
          </button>
        </div>
      </form>
    </Frame>
  );
}

function Switcher({ app }: { app: WebApp }): JSX.Element {
  const query = useSignal("");
  const selected = useSignal(0);
  const q = query.value.toLowerCase().replace(/^[#@]/, "");
  const views = app.views().filter((v) => v !== STATUS_VIEW && viewTitle(v).slice(1).includes(q));
  const pick = (i: number): void => {
    const v = views[i];
    if (v) {
      app.dialog.value = null;
      app.switchTo(v);
    }
  };
  return (
    <Frame app={app} title="Switch to">
      <input
        aria-label="Conversation name"
        value={query.value}
        placeholder="Type a room or a name"
        onInput={(e) => {
          query.value = e.currentTarget.value;
          selected.value = 0;
        }}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown") selected.value = Math.min(views.length - 1, selected.value + 1);
          else if (e.key === "ArrowUp") selected.value = Math.max(0, selected.value - 1);
          else if (e.key === "Enter") pick(selected.value);
          else return;
          e.preventDefault();
        }}
      />
      <ul class="pick" role="listbox" aria-label="Conversations found">
        {views.map((v, i) => (
          <li key={v} role="option" aria-selected={i === selected.value}>
            <button type="button" class={i === selected.value ? "current" : ""} onClick={() => pick(i)}>
              {viewTitle(v)}
              {(app.conversation(v)?.unread ?? 0) > 0 ? (
                <span class="badge">{app.conversation(v)?.unread}</span>
              ) : null}
            </button>
          </li>
        ))}
      </ul>
    </Frame>
  );
}

function Keys({ app }: { app: WebApp }): JSX.Element {
  return (
    <Frame app={app} title="Keyboard shortcuts">
      <dl class="keys">
        {WEB_KEY_HELP.map(([key, what]) => (
          <div key={key}>
            <dt>
              <kbd>{key}</kbd>
            </dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
      <p class="small">Slash commands work as in the terminal client: type /help in the message box.</p>
      <div class="buttons">
        <button type="button" class="primary" onClick={() => app.closeDialog()}>
          Close
        </button>
      </div>
    </Frame>
  );
}

function Bans({ app, room }: { app: WebApp; room: string }): JSX.Element {
  const bans = useSignal<Ban[] | null>(null);
  const { error, run } = useAction(app);
  const load = (): void =>
    void app.client
      .call("room.bans", { room })
      .then((r) => (bans.value = r.bans))
      .catch((e: unknown) => (error.value = describeError(e)));
  useEffect(load, [room]);
  return (
    <Frame app={app} title={`Bans in #${room}`}>
      <ErrorLine text={error.value} />
      {bans.value?.length === 0 ? <p>Nobody is banned.</p> : null}
      <ul class="pick">
        {(bans.value ?? []).map((b) => (
          <li key={b.username}>
            <span>
              <strong>{b.username}</strong>{" "}
              <small>
                by {b.by}
                {b.reason ? `: ${b.reason}` : ""}
              </small>
            </span>{" "}
            <button
              type="button"
              onClick={() =>
                app.confirm({
                  title: `Unban ${b.username}?`,
                  text: `${b.username} may join #${room} again.`,
                  action: "Unban",
                  run: async () => {
                    await app.client.call("room.unban", { room, username: b.username });
                    app.print(`${b.username} may join #${room} again`, "info", roomKey(room));
                  },
                })
              }
            >
              Unban
            </button>
          </li>
        ))}
      </ul>
      <div class="buttons">
        <button type="button" onClick={() => void run(async () => {})}>
          Close
        </button>
      </div>
    </Frame>
  );
}

/** /search's results: one button per result, named by where and what; choosing one shows it in place. */
function SearchResults({ app, d }: { app: WebApp; d: Extract<Dialog, { kind: "search" }> }): JSX.Element {
  const title = `Search: ${d.query}`;
  return (
    <Frame app={app} title={title}>
      {d.results.length === 0 ? <p>No messages match.</p> : null}
      <ul class="search-results" aria-label="Search results">
        {d.results.map((r) => {
          const where = r.room !== undefined ? `#${r.room}` : `@${r.user ?? ""}`;
          const parts: JSX.Element[] = [];
          let at = 0;
          r.highlights.forEach(([start, end], i) => {
            parts.push(<span key={`t${i}`}>{r.snippet.slice(at, start)}</span>);
            parts.push(<mark key={`m${i}`}>{r.snippet.slice(start, end)}</mark>);
            at = end;
          });
          parts.push(<span key="rest">{r.snippet.slice(at)}</span>);
          return (
            <li key={r.id}>
              <button
                type="button"
                class="link"
                aria-label={`${where}, ${r.from}: ${r.snippet}`}
                onClick={() => void app.attempt(() => app.showResult(r))}
              >
                <strong>{where}</strong> {r.from}: {parts}
              </button>
            </li>
          );
        })}
      </ul>
      {d.more ? <p>More results exist: add words to narrow the search.</p> : null}
      <div class="buttons">
        <button type="button" onClick={() => app.closeDialog()}>
          Close
        </button>
      </div>
    </Frame>
  );
}

export function Dialogs({ app }: { app: WebApp }): JSX.Element | null {
  const d = app.dialog.value;
  if (!d) return null;
  switch (d.kind) {
    case "confirm":
      return <Confirm key={d.title} app={app} d={d} />;
    case "prompt":
      return <Prompt key={d.label} app={app} d={d} />;
    case "create-room":
      return <CreateRoom app={app} />;
    case "join-room":
      return <JoinRoom app={app} />;
    case "new-dm":
      return <NewDm app={app} />;
    case "profile":
      return <Profile app={app} />;
    case "switcher":
      return <Switcher app={app} />;
    case "keys":
      return <Keys app={app} />;
    case "bans":
      return <Bans app={app} room={d.room} />;
    case "search":
      return <SearchResults key={d.query} app={app} d={d} />;
  }
}
