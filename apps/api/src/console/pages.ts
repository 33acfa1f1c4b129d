const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] as string);

const STYLE = `
  body { font-family: system-ui, sans-serif; background: #f4f5f7; margin: 0; display: flex; min-height: 100vh;
         align-items: center; justify-content: center; color: #1d2330; }
  main { background: #fff; padding: 2rem 2.5rem; border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.12); width: 22rem; }
  h1 { font-size: 1.25rem; margin: 0 0 1.25rem; }
  label { display: block; margin: .75rem 0 .25rem; font-size: .9rem; }
  input { width: 100%; box-sizing: border-box; padding: .5rem; font-size: 1rem; }
  button { margin-top: 1.25rem; width: 100%; padding: .6rem; font-size: 1rem; background: #1f4fd1; color: #fff; border: 0;
           border-radius: 4px; cursor: pointer; }
  p.problem { color: #b00020; margin: .5rem 0 0; }
  p.note { color: #5a6273; font-size: .85rem; }`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main>${body}</main></body></html>`;
}

/** The console's sign-in form (e-mail and password of a user in the users table). */
export function signInPage(options: { next: string; email?: string; problem?: string }): string {
  return page(
    'LoanOps queue console: sign in',
    `<h1>LoanOps queue console</h1>
<form method="post" action="/admin/sign-in">
  <input type="hidden" name="next" value="${escapeHtml(options.next)}">
  <label for="email">E-mail</label>
  <input id="email" name="email" type="email" autocomplete="username" required value="${escapeHtml(options.email ?? '')}">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  ${options.problem ? `<p class="problem" role="alert">${escapeHtml(options.problem)}</p>` : ''}
  <button type="submit">Sign in</button>
</form>
<p class="note">For admin and ops users. Ops see the queues read-only.</p>`,
  );
}

/** Sign-out is a POST (a link could be followed by another site); this page holds its button. */
export function signOutPage(email: string): string {
  return page(
    'LoanOps queue console: sign out',
    `<h1>Sign out</h1>
<p>Signed in as ${escapeHtml(email)}.</p>
<form method="post" action="/admin/sign-out"><button type="submit">Sign out</button></form>`,
  );
}

export function signedOutPage(): string {
  return page('LoanOps queue console', `<h1>Signed out</h1><p><a href="/admin/sign-in">Sign in again</a></p>`);
}

export function refusedPage(message: string): string {
  return page('LoanOps queue console', `<h1>Not allowed</h1><p class="problem">${escapeHtml(message)}</p>`);
}
