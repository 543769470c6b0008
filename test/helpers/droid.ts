// A small droid mission for tests: two completed features, one in progress, one pending.
import type { Feature } from '../../src/demo/droid-files.js';

export function baseFeatures(): Feature[] {
  return [
    { id: 'f4-search', description: 'Search', status: 'pending', milestone: 'm1' },
    { id: 'f3-profile', description: 'Profile page', status: 'in_progress', milestone: 'm1', workerSessionIds: ['w3'], currentWorkerSessionId: 'w3' },
    { id: 'f1-login', description: 'Login', status: 'completed', milestone: 'm1', fulfills: ['VAL-AUTH-001'], workerSessionIds: ['w1'], completedWorkerSessionId: 'w1' },
    { id: 'f2-logout', description: 'Logout', status: 'completed', milestone: 'm1', workerSessionIds: ['w2'], completedWorkerSessionId: 'w2' },
  ];
}

// The features with one feature's fields replaced.
export function withFeature(features: Feature[], id: string, change: Partial<Feature>): Feature[] {
  return features.map((feature) => (feature.id === id ? { ...feature, ...change } : feature));
}
