/**
 * End-to-end encrypted rooms in `parley chat`, end to end: real CLIs in real terminals (tmux) against a
 * real hub over TLS. alice creates a room with `/create #name --e2e` (the status line shows `[e2e]`),
 * bob joins: alice is told prominently that new messages are sealed to bob's devices too, and bob that
 * alice's device is unverified; they talk, and `/e2e` lists each member device and how it stands.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "vitest";
import { startHub, type TestHub } from "../helpers/hub.js";
import { terminalKit } from "./terminal-kit.js";
import { haveTmux } from "./tmux.js";

const WIDTH = 100;
const HEIGHT = 30;

let hub: TestHub;
let work: string;

const { chat, register, sees, statusShows, closeAll } = terminalKit({
  width: WIDTH,
  height: HEIGHT,
  hubUrl: () => hub.url,
  workDir: () => work,
  env: {
    PARLEY_P2P_LISTEN: "127.0.0.1",
    // Addresses to anyone accepted: these tests are about the paths (the default keeps them for
    // verified contacts).
    PARLEY_P2P_ADDRESSES: "all",
  },
});

describe.skipIf(!haveTmux())("end-to-end encrypted rooms in parley chat (tmux)", () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "parley-e2e-rooms-"));
    hub = await startHub();
  });

  afterAll(async () => {
    closeAll();
    await hub?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it(
    "/create --e2e, the [e2e] badge, a prominent join, unverified devices flagged, sealed messages both ways, /e2e",
    { timeout: 240_000 },
    async () => {
      const alice = chat("alice");
      const bob = chat("bob");
      await register(alice, "alice", "correct horse 1");
      await register(bob, "bob", "battery staple 2");

      alice.line("/create #vault --e2e");
      await sees(alice, "Created #vault [e2e], end-to-end encrypted");
      await statusShows(alice, "#vault [e2e] (owner)");

      bob.line("/join vault");
      await statusShows(bob, "#vault [e2e]");
      // bob is told whom his words will be sealed to, and that alice's device is not verified.
      await sees(bob, "[e2e] Messages here are sealed to 2 devices of 2 members");
      await sees(bob, /\[e2e\] alice's device [0-9a-f]{16} is unverified: \/verify alice/);
      // alice is told, in red, that bob now receives what is sent.
      await sees(alice, "[e2e] bob joined: messages sent from now on are sealed to their devices too");

      bob.line("the vault code is 4711");
      await sees(alice, "<bob> the vault code is 4711");
      alice.line("noted, sealed");
      await sees(bob, "<alice> noted, sealed");

      alice.line("/e2e");
      await sees(alice, /bob device [0-9a-f]{16} signed, unverified/);
      await sees(alice, "Compare safety numbers with /verify USER");
    },
  );
});
