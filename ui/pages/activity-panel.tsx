// A workspace's activity feed: newest first, extended with what came after whenever the live stream says
// the live stream says its log grew or the workspace moved (no polling), and searchable.
import { useEffect, useRef, useState } from 'preact/hooks';
import { type ActivityEvent, api, must, type Workspace } from '../api.ts';
import { ErrorNotice } from '../components/notice.tsx';
import { TimeAgo } from '../components/time-ago.tsx';
import { useLive } from '../live.ts';
import { describe } from '../problem.ts';

const KIND_WORDS: Record<string, string> = { lifecycle: 'Workspace', task: 'Task', agent: 'Agent' };

export function ActivityPanel({ workspace: w }: { workspace: Workspace }) {
  const grew = useLive().activity.get(w.id) ?? 0;
  const [items, setItems] = useState<ActivityEvent[]>();
  const [error, setError] = useState<string>();
  const [q, setQ] = useState('');
  const [searched, setSearched] = useState('');
  const newest = useRef<string | undefined>(undefined);
  const path = { path: { id: w.id } };

  const load = async (query: string) => {
    try {
      const r = await must(
        api.GET('/api/v1/workspaces/{id}/activity', {
          params: { ...path, query: { limit: 50, ...(query ? { q: query } : {}) } },
        }),
      );
      setItems(r.items);
      newest.current = r.items[0]?.id;
      setError(undefined);
    } catch (e) {
      setItems([]);
      setError(describe(e));
    }
  };

  // The first page, and again for each search.
  useEffect(() => {
    void load(searched);
  }, [w.id, searched]);

  // The live stream moved the workspace: fetch what came after the newest event shown.
  useEffect(() => {
    if (searched || items === undefined) return;
    const since = newest.current;
    if (!since) {
      void load('');
      return;
    }
    must(
      api.GET('/api/v1/workspaces/{id}/activity', { params: { ...path, query: { since_id: since } } }),
    ).then(
      (r) => {
        if (r.items.length === 0) return;
        const fresh = [...r.items].reverse();
        newest.current = fresh[0]!.id;
        setItems((old) => [...fresh, ...(old ?? [])].slice(0, 200));
      },
      // A pruned cursor (410) or any hiccup: start again from the newest page.
      () => void load(''),
    );
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
            <li key={a.id} class="feed-item" data-type={a.type}>
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
