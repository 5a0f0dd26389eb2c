// control/mesh: the control plane's mesh member.
export { type ControlMesh, type ControlMeshOptions, startControlMesh } from './control-member.ts';
