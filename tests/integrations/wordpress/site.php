<?php
// A test WordPress site, driven from tests/integrations/wordpress_site.py:
//
//   php site.php install  SITE_DIR   create the database wp-config.php names, install WordPress
//                                    into it and activate the Akismet plugin; prints versions
//   php site.php not-spam SITE_DIR ID  what a moderator's "Not Spam" click does to comment ID
//   php site.php sql      SITE_DIR SQL  rows of one query, as JSON
//   php site.php drop     SITE_DIR   drop the site's database
//
// Each command loads WordPress from SITE_DIR, with the must-use plugins there, as a request does.

[ , $command, $site ] = $argv;
$site = rtrim( $site, '/' ) . '/';

// WordPress cannot create or drop its own database: these two use the settings in wp-config.php.
if ( 'install' === $command || 'drop' === $command ) {
	$config = file_get_contents( $site . 'wp-config.php' );
	$setting = function ( $name ) use ( $config ) {
		preg_match( "/define\\( '$name', '([^']*)' \\);/", $config, $match );
		return $match[1];
	};
	[ $host, $port ] = explode( ':', $setting( 'DB_HOST' ) );
	$db = new mysqli( $host, $setting( 'DB_USER' ), $setting( 'DB_PASSWORD' ), '', (int) $port );
	$verb = 'install' === $command ? 'CREATE' : 'DROP';
	$db->query( "$verb DATABASE `" . $setting( 'DB_NAME' ) . '`' );
	if ( 'drop' === $command ) {
		exit( 0 );
	}
	define( 'WP_INSTALLING', true );
}

$_SERVER['HTTP_HOST'] = getenv( 'WP_TEST_HOST' ) ?: 'localhost';
require $site . 'wp-load.php';

switch ( $command ) {
	case 'install':
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		require_once ABSPATH . 'wp-admin/includes/plugin.php';
		wp_install( 'The Daily Planet', 'editor', 'editor@news.example', false, '', wp_generate_password() );
		// A new commenter's comment is published when Akismet passes it, instead of waiting for
		// WordPress's own "previously approved" rule: the service is what decides here.
		update_option( 'comment_previously_approved', 0 );
		$activated = activate_plugin( 'akismet/akismet.php' );
		if ( is_wp_error( $activated ) ) {
			fwrite( STDERR, $activated->get_error_message() . "\n" );
			exit( 1 );
		}
		echo json_encode( [ 'wordpress' => $GLOBALS['wp_version'], 'akismet' => AKISMET_VERSION ] );
		break;
	case 'not-spam':
		// What wp-admin's AJAX handler does when a moderator clicks "Not Spam": the Akismet plugin
		// sends submit-ham only for a moderator's explicit action, which it reads from the form.
		wp_set_current_user( 1 );
		$_POST['unspam'] = 1;
		echo json_encode( wp_set_comment_status( (int) $argv[3], 'approve' ) );
		break;
	case 'sql':
		echo json_encode( $wpdb->get_results( $argv[3], ARRAY_A ) );
		break;
	default:
		fwrite( STDERR, "unknown command $command\n" );
		exit( 2 );
}
