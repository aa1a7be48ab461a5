import { Router } from 'express';
import AppController from '../controllers/AppController';
import AuthController from '../controllers/AuthController';
import FilesController from '../controllers/FilesController';
import UploadsController from '../controllers/UploadsController';
import UsersController from '../controllers/UsersController';
import { jsonBody, requireUser, tusResumable } from './middleware';

/** Small bodies (sign-up, changes to a file) need no more than this. */
const SMALL_JSON_LIMIT_BYTES = 64 * 1024;

export function createRouter(): Router {
  const router = Router();
  router.get('/status', AppController.getStatus);
  router.get('/health', AppController.getHealth);
  router.get('/stats', AppController.getStats);

  router.post('/users', jsonBody(SMALL_JSON_LIMIT_BYTES), UsersController.postNew);
  router.get('/users/me', requireUser, UsersController.getMe);
  router.get('/connect', AuthController.getConnect);
  router.get('/disconnect', requireUser, AuthController.getDisconnect);

  // Authentication runs before the body is read, so an anonymous upload costs no bandwidth;
  // every form of upload body is read as a stream by the controller.
  router.post('/files', requireUser, FilesController.postUpload);
  router.get('/files', requireUser, FilesController.getIndex);
  router.get('/files/:id', requireUser, FilesController.getShow);
  router.patch('/files/:id', requireUser, jsonBody(SMALL_JSON_LIMIT_BYTES), FilesController.patchFile);
  router.delete('/files/:id', requireUser, FilesController.deleteFile);
  router.put('/files/:id/publish', requireUser, FilesController.putPublish);
  router.put('/files/:id/unpublish', requireUser, FilesController.putUnpublish);
  router.get('/files/:id/data', FilesController.getFile);
  router.post('/files/:id/url', requireUser, jsonBody(SMALL_JSON_LIMIT_BYTES), FilesController.postSignedUrl);

  // Resumable uploads (tus 1.0): the protocol's version is checked before the token.
  router.options('/uploads', tusResumable, UploadsController.options);
  router.post('/uploads', tusResumable, requireUser, UploadsController.postUpload);
  router.head('/uploads/:id', tusResumable, requireUser, UploadsController.headUpload);
  router.patch('/uploads/:id', tusResumable, requireUser, UploadsController.patchUpload);
  router.delete('/uploads/:id', tusResumable, requireUser, UploadsController.deleteUpload);
  return router;
}
