/** The login and registration form. The password rule is the hub's own (src/protocol/passwords.ts), checked as you type. */
import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { USERNAME_RE } from "../../protocol/limits.js";
import { passwordProblem } from "../../protocol/passwords.js";
import type { WebApp } from "../app/controller.js";
import { connectionText } from "../../ui/status-text.js";

export function Login({ app }: { app: WebApp }): JSX.Element {
  const username = useSignal("");
  const password = useSignal("");
  const mode = useSignal<"login" | "register">("login");
  const status = app.status.value;
  const problem =
    mode.value === "register" && password.value !== ""
      ? passwordProblem(password.value, username.value)
      : null;
  const badName =
    mode.value === "register" && username.value !== "" && !USERNAME_RE.test(username.value.toLowerCase());

  const submit = (event: Event, action: "login" | "register"): void => {
    event.preventDefault();
    mode.value = action;
    if (action === "register") {
      if (badName || passwordProblem(password.value, username.value) !== null) return;
      void app.register({ username: username.value.trim(), password: password.value });
    } else {
      void app.login(username.value, password.value);
    }
  };

  return (
    <main class="login">
      <form class="card" onSubmit={(e) => submit(e, "login")} aria-labelledby="login-title">
        <h1 id="login-title">
          <img src="/icon.svg" alt="" width={32} height={32} /> Parley
        </h1>
        <p class={`conn conn-${status?.state ?? "connecting"}`} role="status">
          Hub: {status ? connectionText(status) : "connecting"}
        </p>
        <label>
          Username
          <input
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellcheck={false}
            required
            value={username.value}
            onInput={(e) => (username.value = e.currentTarget.value)}
            aria-invalid={badName}
            aria-describedby="username-help"
          />
        </label>
        <small id="username-help" class={badName ? "hint bad" : "hint"}>
          {badName
            ? "3–32 characters of a-z, 0-9, _ and -"
            : mode.value === "register"
              ? "3–32 characters of a-z, 0-9, _ and -"
              : ""}
        </small>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete={mode.value === "register" ? "new-password" : "current-password"}
            required
            value={password.value}
            onInput={(e) => (password.value = e.currentTarget.value)}
            aria-invalid={problem !== null}
            aria-describedby="password-help"
          />
        </label>
        <small id="password-help" class={problem ? "hint bad" : "hint"} aria-live="polite">
          {problem ??
            (mode.value === "register" && password.value !== "" ? "✓ the hub accepts this password" : "")}
        </small>
        {app.loginError.value ? (
          <p class="error" role="alert">
            {app.loginError.value}
          </p>
        ) : null}
        <div class="buttons">
          <button type="submit" class="primary" disabled={app.busy.value}>
            Log in
          </button>
          <button type="button" disabled={app.busy.value} onClick={(e) => submit(e, "register")}>
            Register
          </button>
        </div>
        <p class="small">
          {mode.value === "register" ? (
            "Passwords: 8 or more characters, not a common one, not your username."
          ) : (
            <>
              New here?{" "}
              <button type="button" class="link" onClick={() => (mode.value = "register")}>
                Create an account
              </button>{" "}
              with a username and password, then press Register.
            </>
          )}
        </p>
      </form>
    </main>
  );
}
