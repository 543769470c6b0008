// tasks.json in Task Master's words (TASKMASTER.md §2) for `guard plan` and `guard status`: its
// tags, each with its tasks and their statuses. A flat file reads as `master`. Pure.
import { isRecord } from '../../core/pointer.js';
import type { ItemGroup } from '../adapter.js';

/** What Task Master reads a missing status as. */
const DEFAULT_STATUS = 'pending';

// The tags of a parsed tasks.json, in file order; undefined when it is not shaped like one.
export function taskMasterGroups(doc: unknown): ItemGroup[] | undefined {
  if (!isRecord(doc)) return undefined;
  if (Array.isArray(doc.tasks)) return [group('master', doc.tasks)];
  const groups: ItemGroup[] = [];
  for (const [tag, value] of Object.entries(doc)) {
    if (isRecord(value) && Array.isArray(value.tasks)) groups.push(group(tag, value.tasks));
  }
  return groups;
}

function group(name: string, tasks: unknown[]): ItemGroup {
  return {
    name,
    items: tasks.filter(isRecord).map((task) => ({
      id: String(task.id),
      status: typeof task.status === 'string' && task.status !== '' ? task.status : DEFAULT_STATUS,
      ...(typeof task.title === 'string' ? { title: task.title } : {}),
    })),
  };
}
