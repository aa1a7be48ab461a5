import { Router } from 'express';
import AppController from '../controllers/AppController';
import AuthController from '../controllers/AuthController';
import FilesController from '../controllers/FilesController';
import UsersController from '../controllers/UsersController';
import { identifyUser, jsonBody, requireUser } from './middleware';

/** Small bodies (sign-up, changes to a file) need no more than this. */
const SMALL_JSON_LIMIT_BYTES = 64 * 1024;

/**
 * Base64 grows data by 4/3; the rest of an upload's JSON (name, type, parentId, isPublic)
 * fits in the margin. The decoded size is held to UPLOAD_MAX_BYTES itself by the byte store.
 */
export function jsonUploadLimit(uploadMaxBytes: number): number {
  return Math.ceil(uploadMaxBytes / 3) * 4 + 64 * 1024;
}

export function createRouter(uploadMaxBytes: number): Router {
  const router = Router();
  router.get('/status', AppController.getStatus);
  router.get('/stats', AppController.getStats);

  router.post('/users', jsonBody(SMALL_JSON_LIMIT_BYTES), UsersController.postNew);
  router.get('/users/me', requireUser, UsersController.getMe);
  router.get('/connect', AuthController.getConnect);
  router.get('/disconnect', requireUser, AuthController.getDisconnect);

  // Authentication runs before the body is read, so an anonymous upload costs no bandwidth.
  router.post('/files', requireUser, jsonBody(jsonUploadLimit(uploadMaxBytes)), FilesController.postUpload);
  router.get('/files', requireUser, FilesController.getIndex);
  router.get('/files/:id', requireUser, FilesController.getShow);
  router.patch('/files/:id', requireUser, jsonBody(SMALL_JSON_LIMIT_BYTES), FilesController.patchFile);
  router.delete('/files/:id', requireUser, FilesController.deleteFile);
  router.put('/files/:id/publish', requireUser, FilesController.putPublish);
  router.put('/files/:id/unpublish', requireUser, FilesController.putUnpublish);
  router.get('/files/:id/data', identifyUser, FilesController.getFile);
  return router;
}
