/* eslint-disable @typescript-eslint/no-floating-promises, @typescript-eslint/await-thenable, @typescript-eslint/prefer-promise-reject-errors -- the seeds' example script, kept as the seeds wrote it */
import dbClient from '../../../utils/db';

const waitConnection = () => {
  return new Promise<void>((resolve, reject) => {
    let i = 0;
    const repeatFct = async () => {
      await setTimeout(() => {
        i += 1;
        if (i >= 10) {
          reject();
        } else if (!dbClient.isAlive()) {
          repeatFct();
        } else {
          resolve();
        }
      }, 1000);
    };
    repeatFct();
  });
};

(async () => {
  console.log(dbClient.isAlive());
  await waitConnection();
  console.log(dbClient.isAlive());
  console.log(await dbClient.nbUsers());
  console.log(await dbClient.nbFiles());
})();
