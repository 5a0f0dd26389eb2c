// Messages in the page: errors (announced at once), hints and empty states.
import type { ComponentChildren } from 'preact';

/** An error a person can act on; role=alert makes screen readers announce it. */
export function ErrorNotice({ message, onDismiss }: { message: string | undefined; onDismiss?: () => void }) {
  if (!message) return null;
  return (
    <div class="notice error" role="alert">
      <span class="notice-text">{message}</span>
      {onDismiss ? (
        <button type="button" class="link-button" onClick={onDismiss} aria-label="Dismiss this message">
          Dismiss
        </button>
      ) : null}
    </div>
  );
}

/** A calm note (e.g. why something waits). */
export function Hint({ children }: { children: ComponentChildren }) {
  return <div class="notice hint">{children}</div>;
}

/** What an empty list means and what to do next. */
export function EmptyState({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <div class="empty">
      <h2>{title}</h2>
      <div>{children}</div>
    </div>
  );
}

/** A panel for something that needs an API Warren does not have yet, labelled as such. */
export function Placeholder({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <section class="card placeholder" aria-label={`${title} (not available yet)`}>
      <h2>
        {title} <span class="tag">Not available yet</span>
      </h2>
      <div class="muted">{children}</div>
    </section>
  );
}
