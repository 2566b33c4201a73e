/** Who receives the notification about an upload. */
export enum NotificationScope {
  /**
   * Each subscriber receives notifications only about the images they uploaded through the API: the upload
   * records the caller, and the subscription made by the same caller filters on it. Needs an API that knows its
   * caller (IAM or Cognito authorization). Images put straight into the bucket reach no such subscriber.
   */
  UPLOADER = 'uploader',
  /**
   * Every subscriber receives every notification, with links to everyone's images. Fit for a single team's
   * pipeline, not for one shared by people who should not see each other's images. Uploads record no caller, so
   * any caller may replace the copies of an image uploaded under the same name, and no caller's identity reaches
   * the subscribers or the copies.
   */
  BROADCAST = 'broadcast',
}
