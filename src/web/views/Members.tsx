/** The member list of the open room: roles, presence, and the moderation your role allows (each asks first). */
import type { JSX } from "preact";
import { dmKey, type RoomState } from "../../client/core/index.js";
import type { Member, Role } from "../../protocol/index.js";
import type { WebApp } from "../app/controller.js";
import { colourClass } from "./format.js";

const RANK: Record<Role, number> = { owner: 2, admin: 1, member: 0 };

function MemberRow({ app, room, m }: { app: WebApp; room: RoomState; m: Member }): JSX.Element {
  const me = app.state.value?.me?.username;
  const mine = room.myRole;
  const self = m.username === me;
  const canModerate = !self && mine !== null && RANK[mine] >= 1 && RANK[mine] > RANK[m.role];
  const name = room.name;
  const act = (title: string, text: string, action: string, run: () => Promise<unknown>) => () =>
    app.confirm({ title, text, action, run: async () => void (await run()) });
  const call = app.client;
  return (
    <li class="member">
      <span class={`dot ${m.online ? "on" : "off"}`} aria-label={m.online ? "online" : "offline"} />
      <span class={`name ${colourClass(m.username)}`}>{m.username}</span>
      {m.role !== "member" ? <span class={`role ${m.role}`}>{m.role}</span> : null}
      {m.voiced ? (
        <span class="role voiced" title="May post when the room is moderated">
          voice
        </span>
      ) : null}
      {!self ? (
        <details class="menu">
          <summary aria-label={`Actions for ${m.username}`}>⋯</summary>
          <div class="menu-items">
            <button
              type="button"
              onClick={() =>
                void app
                  .attempt(() => call.openDm(m.username))
                  .then((ok) => ok && app.switchTo(dmKey(m.username)))
              }
            >
              Message
            </button>
            {canModerate ? (
              <>
                <button
                  type="button"
                  onClick={act(
                    `Kick ${m.username}?`,
                    `${m.username} leaves #${name} and may rejoin.`,
                    "Kick",
                    () => call.call("room.kick", { room: name, username: m.username }),
                  )}
                >
                  Kick
                </button>
                <button
                  type="button"
                  class="danger"
                  onClick={act(
                    `Ban ${m.username}?`,
                    `${m.username} leaves #${name} and cannot rejoin until unbanned.`,
                    "Ban",
                    () => call.call("room.ban", { room: name, username: m.username }),
                  )}
                >
                  Ban
                </button>
              </>
            ) : null}
            {mine !== null && RANK[mine] >= 1 ? (
              <button
                type="button"
                onClick={(e) => {
                  // No dialog follows (voice is undone as easily): close the menu here.
                  e.currentTarget.closest("details")?.removeAttribute("open");
                  void app.attempt(() =>
                    call.call("room.voice", { room: name, username: m.username, voice: !m.voiced }),
                  );
                }}
              >
                {m.voiced ? "Take voice" : "Give voice"}
              </button>
            ) : null}
            {mine !== null && RANK[mine] >= 1 && m.role === "member" ? (
              <button
                type="button"
                onClick={act(
                  `Make ${m.username} an admin?`,
                  `Admins may kick, ban and change the room's settings.`,
                  "Promote",
                  () => call.call("room.promote", { room: name, username: m.username }),
                )}
              >
                Promote to admin
              </button>
            ) : null}
            {mine === "owner" && m.role === "admin" ? (
              <button
                type="button"
                onClick={act(
                  `Make ${m.username} a member again?`,
                  `${m.username} loses admin rights in #${name}.`,
                  "Demote",
                  () => call.call("room.demote", { room: name, username: m.username }),
                )}
              >
                Demote to member
              </button>
            ) : null}
          </div>
        </details>
      ) : (
        <small class="you">you</small>
      )}
    </li>
  );
}

export function Members({ app, room }: { app: WebApp; room: RoomState }): JSX.Element {
  const members = Object.values(room.members).sort(
    (a, b) =>
      RANK[b.role] - RANK[a.role] ||
      Number(b.online) - Number(a.online) ||
      a.username.localeCompare(b.username),
  );
  const admin = room.myRole !== null && RANK[room.myRole] >= 1;
  return (
    <aside class={`members${app.panel.value === "members" ? " open" : ""}`} aria-label="Members">
      <h2>
        Members <small>{members.length}</small>
      </h2>
      <ul>
        {members.map((m) => (
          <MemberRow key={m.username} app={app} room={room} m={m} />
        ))}
      </ul>
      {admin ? (
        <>
          <button
            type="button"
            class="link pad"
            onClick={() => (app.dialog.value = { kind: "bans", room: room.name })}
          >
            Bans…
          </button>
          <label class="pad setting">
            <input
              type="checkbox"
              checked={room.info.moderated === true}
              onChange={(e) => {
                const moderated = e.currentTarget.checked;
                void app.attempt(() => app.client.call("room.update", { room: room.name, moderated }));
              }}
            />{" "}
            Moderated (only admins and voiced members post)
          </label>
          <label class="pad setting">
            <input
              type="checkbox"
              checked={room.info.secret === true}
              onChange={(e) => {
                const secret = e.currentTarget.checked;
                void app.attempt(() => app.client.call("room.update", { room: room.name, secret }));
              }}
            />{" "}
            Secret (not listed to non-members)
          </label>
        </>
      ) : null}
    </aside>
  );
}
