// A workspace's activity feed: newest first, extended with what came after whenever the live stream says its
// log grew or the workspace moved (no polling), each event shown once, and searched as you type.
import { useEffect, useRef, useState } from 'preact/hooks';
import { type ActivityEvent, api, must, type Workspace } from '../api.ts';
import { ErrorNotice } from '../components/notice.tsx';
import { TimeAgo } from '../components/time-ago.tsx';
import { useLive } from '../live.ts';
import { describe } from '../problem.ts';

const KIND_WORDS: Record<string, string> = { lifecycle: 'Workspace', task: 'Task', agent: 'Agent' };

/** How long typing must pause before the search runs (each keystroke would otherwise be a request). */
const SEARCH_DEBOUNCE_MS = 250;

/** `fresh` (newest first) on top of `old`, each event once: the same event may arrive from two fetches. */
export function mergeNewest(fresh: ActivityEvent[], old: ActivityEvent[]): ActivityEvent[] {
  const seen = new Set<string>();
  const out: ActivityEvent[] = [];
  for (const a of [...fresh, ...old]) {
    if (seen.has(a.id)) continue;
    seen.add(a.id);
    out.push(a);
  }
  return out;
}

export function ActivityPanel({ workspace: w }: { workspace: Workspace }) {
  const grew = useLive().activity.get(w.id) ?? 0;
  const [items, setItems] = useState<ActivityEvent[]>();
  const [error, setError] = useState<string>();
  const [q, setQ] = useState('');
  const [searched, setSearched] = useState('');
  const newest = useRef<string | undefined>(undefined);
  /** Numbers each page load, so an older answer (a slower search) never replaces a newer one. */
  const generation = useRef(0);
  /** One catch-up fetch at a time; a signal during it asks for one more round after it. */
  const catching = useRef<'idle' | 'busy' | 'again'>('idle');
  const path = { path: { id: w.id } };

  const load = async (query: string) => {
    const mine = ++generation.current;
    try {
      const r = await must(
        api.GET('/api/v1/workspaces/{id}/activity', {
          params: { ...path, query: { limit: 50, ...(query ? { q: query } : {}) } },
        }),
      );
      if (mine !== generation.current) return;
      setItems(r.items);
      newest.current = r.items[0]?.id;
      setError(undefined);
    } catch (e) {
      if (mine !== generation.current) return;
      setItems([]);
      setError(describe(e));
    }
  };

  // The first page, and again for each search.
  useEffect(() => {
    void load(searched);
  }, [w.id, searched]);

  // Searches as you type, once typing pauses.
  useEffect(() => {
    const next = q.trim();
    if (next === searched) return;
    const timer = setTimeout(() => setSearched(next), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [q]);

  /**
   * Fetches what came after the newest event shown. One live change often sends two signals (the workspace moved
   * and its log grew): two fetches with the same cursor would both bring the new event, so they run one after the
   * other, each from the cursor the last one left, and the merge keeps each event once.
   */
  const catchUp = async () => {
    if (catching.current !== 'idle') {
      catching.current = 'again';
      return;
    }
    catching.current = 'busy';
    try {
      for (;;) {
        const since = newest.current;
        const mine = generation.current;
        if (!since) {
          await load('');
        } else {
          try {
            const r = await must(
              api.GET('/api/v1/workspaces/{id}/activity', {
                params: { ...path, query: { since_id: since } },
              }),
            );
            if (mine === generation.current && r.items.length > 0) {
              const fresh = [...r.items].reverse();
              newest.current = fresh[0]!.id;
              setItems((old) => mergeNewest(fresh, old ?? []).slice(0, 200));
            }
          } catch {
            // A pruned cursor (410) or any hiccup: start again from the newest page.
            await load('');
          }
        }
        if ((catching.current as string) !== 'again') break;
        catching.current = 'busy';
      }
    } finally {
      catching.current = 'idle';
    }
  };

  // The live stream moved the workspace or grew its log: catch up (not while a search is shown).
  useEffect(() => {
    if (searched || items === undefined) return;
    void catchUp();
  }, [w.updatedAt, w.status, grew]);

  return (
    <section class="card" aria-labelledby="activity-title">
      <div class="card-head">
        <h2 id="activity-title">Activity</h2>
      </div>
      <form
        class="search"
        onSubmit={(e) => {
          e.preventDefault();
          setSearched(q.trim());
        }}
      >
        <label for="activity-q" class="sr-only">
          Search activity
        </label>
        <input
          id="activity-q"
          type="search"
          placeholder="Search activity"
          value={q}
          onInput={(e) => setQ(e.currentTarget.value)}
        />
      </form>
      <ErrorNotice message={error} />
      {items === undefined ? (
        <p class="loading">
          <span class="spinner" aria-hidden="true" /> Loading activity…
        </p>
      ) : items.length === 0 ? (
        <p class="muted">
          {searched
            ? `Nothing matches “${searched}”.`
            : 'Nothing yet: starts, stops, tasks and agent steps show here.'}
        </p>
      ) : (
        <ol class="feed" aria-label="Activity, newest first">
          {items.map((a) => (
            <li key={a.id} class="feed-item" data-type={a.type} data-id={a.id}>
              <span class={`tag kind-${a.kind}`}>{KIND_WORDS[a.kind] ?? a.kind}</span>
              <span class="feed-message">{a.message}</span>
              <span class="muted small">
                <TimeAgo iso={a.at} />
              </span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
