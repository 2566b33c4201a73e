export * from './image-resize-pipeline';
export * from './image-size';
export * from './sharp-layer';
export * from './api/api-authorization';
export * from './notification-scope';
export * from './encryption';
export * from './animation';
export * from './pipeline-alarms';
