/**
 * Log in or register. The password is shown as dots while typed; registration asks for it twice and for
 * an optional first and last name. Esc goes back to the choice; the hub's answer shows as one line.
 */
import React from "react";
import { Box, Text, useInput, type Key } from "ink";
import type { ChatController, ViewState } from "../controller/controller.js";
import { PASSWORD_RULE, passwordProblem } from "../../protocol/index.js";
import { EMPTY, edit, splitLines, type EditorState } from "../input/line-editor.js";
import { sanitize } from "../render/sanitize.js";
import type { Theme } from "../render/theme.js";
import { InputLine } from "./InputLine.js";
import { connectionText } from "./StatusLine.js";
import type { Size } from "./use-terminal-size.js";
import { useLatest } from "./use-latest.js";

type Mode = "choose" | "login" | "register";
type Field = "username" | "password" | "again" | "firstName" | "lastName";

const STEPS: Record<Exclude<Mode, "choose">, readonly Field[]> = {
  login: ["username", "password"],
  register: ["username", "password", "again", "firstName", "lastName"],
};

const LABELS: Record<Field, string> = {
  username: "Username",
  password: "Password",
  again: "Password again",
  firstName: "First name (optional, Enter to skip)",
  lastName: "Last name (optional, Enter to skip)",
};

const SECRET = new Set<Field>(["password", "again"]);

export interface LoginScreenProps {
  controller: ChatController;
  state: ViewState;
  theme: Theme;
  size: Size;
  /** From --user: the username to start with. */
  username?: string;
}

interface Form {
  mode: Mode;
  step: number;
  answers: Partial<Record<Field, string>>;
  editor: EditorState;
  problem: string | null;
}

const INITIAL: Form = { mode: "choose", step: 0, answers: {}, editor: EMPTY, problem: null };

export function LoginScreen({
  controller,
  state,
  theme,
  size,
  username,
}: LoginScreenProps): React.JSX.Element {
  const [formRef, setForm] = useLatest<Form>(INITIAL);
  const patch = (p: Partial<Form>): void => setForm({ ...formRef.current, ...p });

  const start = (mode: Exclude<Mode, "choose">): void => {
    patch({
      mode,
      problem: null,
      editor: EMPTY,
      ...(username ? { answers: { username }, step: 1 } : { answers: {}, step: 0 }),
    });
  };

  const finish = async (m: Exclude<Mode, "choose">, all: Partial<Record<Field, string>>): Promise<void> => {
    const user = (all.username ?? "").trim().toLowerCase();
    const password = all.password ?? "";
    const ok =
      m === "login"
        ? await controller.login(user, password)
        : await controller.register({
            username: user,
            password,
            ...(all.firstName ? { firstName: all.firstName } : {}),
            ...(all.lastName ? { lastName: all.lastName } : {}),
          });
    // Keep the username; ask again from the password on.
    if (!ok) patch({ answers: { username: all.username ?? "" }, step: 1, editor: EMPTY });
  };

  const onKey = (input: string, key: Key): void => {
    if (key.ctrl && input === "c") {
      void controller.quit();
      return;
    }
    if (controller.getSnapshot().busy) return;
    const form = formRef.current;
    const { mode, step, answers, editor } = form;
    if (mode === "choose") {
      const choice = input.slice(0, 1).toLowerCase();
      if (choice === "l") start("login");
      else if (choice === "r") start("register");
      // Keys typed right after the choice may come in the same chunk ("ralice"): they are the username.
      if ((choice === "l" || choice === "r") && input.length > 1) onKey(input.slice(1), key);
      return;
    }
    if (key.escape) {
      patch({ mode: "choose", editor: EMPTY, problem: null });
      return;
    }
    if (key.return) {
      const field = STEPS[mode][step];
      if (field === undefined) return;
      const value = editor.value;
      if ((field === "username" || field === "password") && value.trim() === "") {
        patch({ problem: `${LABELS[field]} cannot be empty` });
        return;
      }
      // The hub's rule, checked here at once rather than after the rest of the form.
      if (mode === "register" && field === "password") {
        const rule = controller.getSnapshot().client.hub?.passwordRule ?? PASSWORD_RULE;
        const problem = passwordProblem(value, answers.username ?? "", rule);
        if (problem !== null) {
          patch({ problem: `${problem} — choose another`, editor: EMPTY });
          return;
        }
      }
      if (field === "again" && value !== answers.password) {
        patch({
          problem: "The passwords differ; type them again",
          answers: { username: answers.username ?? "" },
          step: 1,
          editor: EMPTY,
        });
        return;
      }
      const all = { ...answers, [field]: value };
      const last = step + 1 >= STEPS[mode].length;
      patch({ problem: null, answers: all, editor: EMPTY, step: last ? step : step + 1 });
      if (last) void finish(mode, all);
      return;
    }
    const next = edit(editor, input, key);
    if (next) patch({ editor: next });
  };
  useInput((input, key) => splitLines(input, key, onKey));

  const { mode, step, answers, editor, problem } = formRef.current;
  const hub = state.client.hub;
  const fields = mode === "choose" ? [] : STEPS[mode];
  const error = problem ?? state.loginError;
  return (
    <Box flexDirection="column" width={size.columns} paddingX={1}>
      <Text bold>Parley</Text>
      <Text>
        Hub: {sanitize(hub?.url ?? "…")} <Text {...theme.timestamp}>[{connectionText(state.status)}]</Text>
      </Text>
      {hub?.fingerprint ? <Text {...theme.timestamp}>TLS fingerprint: {hub.fingerprint}</Text> : null}
      <Text> </Text>
      {mode === "choose" && state.busy ? (
        <Text {...theme.system}>Resuming your saved session…</Text>
      ) : mode === "choose" ? (
        <Text>
          Press <Text bold>l</Text> to log in or <Text bold>r</Text> to register a new account (Ctrl+C quits).
        </Text>
      ) : (
        <>
          <Text {...theme.heading}>{mode === "login" ? "Log in" : "Register a new account"} (Esc: back)</Text>
          {fields.slice(0, step).map((f) => (
            <Text key={f}>
              {LABELS[f]}:{" "}
              {SECRET.has(f) ? "•".repeat([...(answers[f] ?? "")].length) : sanitize(answers[f] ?? "")}
            </Text>
          ))}
          {mode === "register" && fields[step] === "password" && !state.busy ? (
            <Text {...theme.timestamp}>
              Passwords: {sanitize((hub?.passwordRule ?? PASSWORD_RULE).description)}.
            </Text>
          ) : null}
          {state.busy ? (
            <Text {...theme.system}>{mode === "login" ? "Logging in…" : "Registering…"}</Text>
          ) : (
            <InputLine
              label={`${LABELS[fields[step] ?? "username"]}:`}
              editor={editor}
              secret={SECRET.has(fields[step] ?? "username")}
              width={size.columns - 2}
              theme={theme}
            />
          )}
        </>
      )}
      {error ? <Text {...theme.error}>{sanitize(error)}</Text> : null}
    </Box>
  );
}
