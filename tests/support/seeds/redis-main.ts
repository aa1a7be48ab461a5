/* eslint-disable @typescript-eslint/no-floating-promises, @typescript-eslint/no-misused-promises -- the seeds' example script, kept as the seeds wrote it */
import redisClient from '../../../utils/redis';

(async () => {
  console.log(redisClient.isAlive());
  console.log(await redisClient.get('myKey'));
  await redisClient.set('myKey', 12, 5);
  console.log(await redisClient.get('myKey'));

  setTimeout(async () => {
    console.log(await redisClient.get('myKey'));
  }, 1000 * 10);
})();
