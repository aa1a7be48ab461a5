import { Router } from 'express';
import AppController from '../controllers/AppController';
import AuthController from '../controllers/AuthController';
import FilesController from '../controllers/FilesController';
import LinksController from '../controllers/LinksController';
import TrashController from '../controllers/TrashController';
import UploadsController from '../controllers/UploadsController';
import UsersController from '../controllers/UsersController';
import { jsonBody, pageForBrowsers, requireDropFolder, requireLink, requireUser, tusOnly, tusResumable } from './middleware';

/** Small bodies (sign-up, changes to a file) need no more than this. */
const SMALL_JSON_LIMIT_BYTES = 64 * 1024;

export function createRouter(): Router {
  const router = Router();
  router.get('/status', AppController.getStatus);
  router.get('/health', AppController.getHealth);
  router.get('/stats', AppController.getStats);

  router.post('/users', jsonBody(SMALL_JSON_LIMIT_BYTES), UsersController.postNew);
  router.get('/users/me', requireUser, UsersController.getMe);
  router.get('/users/me/usage', requireUser, UsersController.getUsage);
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

  router.get('/trash', requireUser, TrashController.getIndex);
  router.delete('/trash', requireUser, TrashController.deleteAll);
  router.post('/trash/:id/restore', requireUser, TrashController.postRestore);
  router.delete('/trash/:id', requireUser, TrashController.deleteItem);

  // Shared links: the owner's side, then anyone's with the URL (no token).
  router.post('/files/:id/links', requireUser, jsonBody(SMALL_JSON_LIMIT_BYTES), LinksController.postLink);
  router.get('/files/:id/links', requireUser, LinksController.getLinks);
  router.delete('/links/:id', requireUser, LinksController.deleteLink);
  router.get('/s/:token', pageForBrowsers, requireLink, LinksController.getShared);
  router.get('/s/:token/info', requireLink, LinksController.getInfo);
  router.post('/s/:token/session', jsonBody(SMALL_JSON_LIMIT_BYTES), LinksController.postSession);
  router.get('/s/:token/files/:id', requireLink, LinksController.getSharedItem);
  router.get('/s/:token/files/:id/data', requireLink, LinksController.getSharedItemData);
  // A drop folder takes uploads as POST /files does, and resumable ones as /uploads does.
  router.post('/s/:token', tusOnly, tusResumable, requireDropFolder, UploadsController.postUpload);
  router.post('/s/:token', requireDropFolder, LinksController.postDrop);
  router.head('/s/:token/uploads/:id', tusResumable, requireDropFolder, UploadsController.headUpload);
  router.patch('/s/:token/uploads/:id', tusResumable, requireDropFolder, UploadsController.patchUpload);
  router.delete('/s/:token/uploads/:id', tusResumable, requireDropFolder, UploadsController.deleteUpload);

  // Resumable uploads (tus 1.0): the protocol's version is checked before the token.
  router.options('/uploads', tusResumable, UploadsController.options);
  router.post('/uploads', tusResumable, requireUser, UploadsController.postUpload);
  router.head('/uploads/:id', tusResumable, requireUser, UploadsController.headUpload);
  router.patch('/uploads/:id', tusResumable, requireUser, UploadsController.patchUpload);
  router.delete('/uploads/:id', tusResumable, requireUser, UploadsController.deleteUpload);
  return router;
}
